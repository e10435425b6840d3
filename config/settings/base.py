"""Settings shared by every environment.

Everything that differs between a laptop and production is read from the
environment (python-decouple: process environment first, then ``.env``).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from decouple import Csv, config

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = config("SECRET_KEY", default="")
DEBUG = config("DEBUG", default=False, cast=bool)
ALLOWED_HOSTS: list[str] = config("ALLOWED_HOSTS", default="localhost,127.0.0.1", cast=Csv())
CSRF_TRUSTED_ORIGINS: list[str] = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "apps.core",
    "apps.accounts",
    "apps.clinics",
    "apps.audit",
    "apps.patients",
    "apps.billing",
    "apps.scheduling",
    "apps.jobs",
    "apps.visits",
    "apps.waitlist",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    # Outside health and CSP: no-store and the API's strict CSP on every answer, /health/'s included.
    "apps.core.middleware.SecurityHeadersMiddleware",
    # Health answers before host validation and HTTPS redirects: probes use
    # internal host names and plain HTTP.
    "apps.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NUL in an API query string: a 400 before any view or the database sees it.
    "apps.core.middleware.QueryStringGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production and CI; without it a local
# SQLite file serves `make run`. Persistent connections with health checks:
# a new connection per request costs ~4x throughput, and health checks make a
# database restart invisible to clients.
DATABASE_URL = config("DATABASE_URL", default="")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=config("DB_CONN_MAX_AGE", default=600, cast=int),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis -----------------------------------------------------
REDIS_URL = config("REDIS_URL", default="")
# Short timeouts: redis-py's default 5 s would stall every request when Redis hangs.
REDIS_SOCKET_TIMEOUT = config("REDIS_SOCKET_TIMEOUT", default=0.5, cast=float)
# After a Redis failure, throttles skip Redis (and allow) this long: one timeout, not one per request.
THROTTLE_BREAKER_SECONDS = config("THROTTLE_BREAKER_SECONDS", default=5.0, cast=float)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "clinicops",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lock-out, kept in the database so it holds on every login path and
# survives a Redis outage.
LOGIN_FAILURE_LIMIT = config("LOGIN_FAILURE_LIMIT", default=5, cast=int)
LOGIN_FAILURE_IP_LIMIT = config("LOGIN_FAILURE_IP_LIMIT", default=30, cast=int)
LOGIN_COOL_OFF = timedelta(minutes=config("LOGIN_COOL_OFF_MINUTES", default=15, cast=int))
# How many reverse proxies put themselves in X-Forwarded-For (Railway: 1).
# 0 means the header is ignored: it is trivially spoofed.
TRUSTED_PROXY_COUNT = config("TRUSTED_PROXY_COUNT", default=0, cast=int)

# Previous JWT signing keys, comma-separated: tokens they signed still verify (see docs/deploy.md).
JWT_SIGNING_KEY_FALLBACKS = config("JWT_SIGNING_KEY_FALLBACKS", default="", cast=Csv())
# Second factor (apps/accounts/mfa.py): the name phone apps show beside the account.
OTP_TOTP_ISSUER = "ClinicOps"
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=min(config("JWT_ACCESS_MINUTES", default=15, cast=int), 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=config("JWT_REFRESH_DAYS", default=7, cast=int)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": config("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    # Verified after a rotation, until their tokens expire (apps/accounts/tokens.py).
    "AUTH_TOKEN_CLASSES": ("apps.accounts.tokens.AccessToken",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Tokens carry a digest of the password hash: a password change kills them.
    "CHECK_REVOKE_TOKEN": True,
    "CHECK_USER_IS_ACTIVE": True,
}

# --- API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ClinicOpsAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bounded in size (413) and nesting (400).
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.UserRateThrottle",
        "apps.core.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": config("THROTTLE_USER", default="1000/minute"),
        "anon": config("THROTTLE_ANON", default="60/minute"),
        "login": config("THROTTLE_LOGIN", default="20/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

SPECTACULAR_SETTINGS = {
    "TITLE": "ClinicOps API",
    "DESCRIPTION": "Operations backend for groups of outpatient clinics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # apps.core.schema: public tag descriptions and the API-wide notes.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "apps.core.schema.postprocess_schema"],
    # Two choice sets are called "kind" (availability exceptions, credit notes): each named explicitly.
    "ENUM_NAME_OVERRIDES": {
        "CreditNoteKindEnum": "apps.billing.credit_models.CreditNoteKind",
        "KindEnum": "apps.scheduling.models.ExceptionKind",  # the name it had alone
    },
}

# --- Security headers (tightened further in production) --------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # The admin and Swagger UI use inline scripts and styles.
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
}

# --- i18n, time ----------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage and logs; each clinic has its own zone
USE_I18N = True
# The languages of invoice and credit-note labels (a clinic's locale picks one: apps/clinics/locales.py).
# Catalogs: locale/<lang>/LC_MESSAGES/django.po, compiled .mo committed beside them (docs/decisions.md).
LANGUAGES = [("en", "English"), ("de", "German")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(config("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# --- Celery --------------------------------------------------------------
# Without Redis (a bare laptop) tasks run eagerly in-process.
CELERY_BROKER_URL = config("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = config("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = config("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL, cast=bool)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = config("CELERY_TASK_SOFT_TIME_LIMIT", default=240, cast=int)
CELERY_TASK_TIME_LIMIT = config("CELERY_TASK_TIME_LIMIT", default=300, cast=int)
# Redelivery of unacknowledged tasks must wait longer than the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# On a lost broker connection, cancel running late-ack tasks so they are
# redelivered (every task is idempotent); Celery 6 makes this the default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# The periodic tasks deployments create (``manage.py setup_periodic_tasks``).
# name -> task path and schedule: {"every_minutes": N} or a crontab dict.
PERIODIC_TASKS: dict[str, dict[str, object]] = {
    "flush-expired-tokens": {
        "task": "apps.accounts.tasks.flush_expired_tokens",
        "crontab": {"minute": "17", "hour": "3"},
    },
    "verify-audit-chain": {
        "task": "apps.audit.tasks.verify_audit_chain",
        "crontab": {"minute": "41", "hour": "2"},
    },
    "mark-overdue-invoices": {
        "task": "apps.billing.tasks.mark_overdue_invoices",
        "crontab": {"minute": "7", "hour": "1"},
    },
    "prune-idempotency-records": {
        "task": "apps.billing.tasks.prune_idempotency_records",
        "crontab": {"minute": "37", "hour": "3"},
    },
    "send-appointment-reminders": {
        "task": "apps.scheduling.tasks.send_due_reminders",
        "every_minutes": 5,
    },
    # Expires overdue waitlist offers (each passes its slot on) and sends queued offer messages.
    "waitlist-tick": {
        "task": "apps.waitlist.tasks.waitlist_tick",
        "every_minutes": 1,
    },
    "sweep-stale-jobs": {
        "task": "apps.jobs.tasks.sweep_stale_jobs",
        "every_minutes": 1,
    },
}

# The job outbox (apps.jobs): a run without a heartbeat for this long lost its
# worker and runs again; a job sent this long ago that never started is sent
# again; a job fails after this many attempts.
JOBS_RUNNING_STALE_SECONDS = config("JOBS_RUNNING_STALE_SECONDS", default=120, cast=int)
JOBS_QUEUED_RESEND_SECONDS = config("JOBS_QUEUED_RESEND_SECONDS", default=300, cast=int)
JOBS_MAX_ATTEMPTS = config("JOBS_MAX_ATTEMPTS", default=3, cast=int)
# `manage.py migrate_safely` (the release role) gives up after waiting this long for a lock.
MIGRATE_LOCK_TIMEOUT = config("MIGRATE_LOCK_TIMEOUT", default="5s")

# --- Billing ---------------------------------------------------------------
# A Unicode TrueType font for invoice PDFs (Debian: fonts-dejavu-core). Without
# it, PDFs fall back to Helvetica and draw non-Latin-1 characters as "?".
# The fallback draws what DejaVu lacks: Chinese, Japanese, Korean (Debian:
# fonts-wqy-microhei, 5 MB); "" turns it off (apps/billing/pdf_page.py).
INVOICE_PDF_FONT = config("INVOICE_PDF_FONT", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
INVOICE_PDF_FONT_BOLD = config("INVOICE_PDF_FONT_BOLD", default="/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
INVOICE_PDF_FALLBACK_FONT = config(
    "INVOICE_PDF_FALLBACK_FONT", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)

# --- Reminders -------------------------------------------------------------
# Email goes through EMAIL_BACKEND; SMS through this class (apps.scheduling.sms).
# The default only logs that a message went out, never the number or the text.
SMS_BACKEND = config("SMS_BACKEND", default="apps.scheduling.sms.LoggingSmsBackend")
REMINDER_WINDOW_HOURS = config("REMINDER_WINDOW_HOURS", default=24, cast=int)

# --- Logging: JSON lines on stdout, never patient data ---------------------
LOG_LEVEL = config("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "apps.core.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "apps.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # fpdf2's font subsetting logs a line per table at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# The admin's path, e.g. "staff-7f3a/" (config/urls.py): not guessable at /admin/.
DJANGO_ADMIN_URL: str = config("DJANGO_ADMIN_URL", default="admin/").strip("/") + "/"

# Clinic invitations (apps/clinics/invitations.py): how long a link works, and the link the email carries.
INVITATION_DAYS: int = config("INVITATION_DAYS", default=7, cast=int)
INVITATION_ACCEPT_URL: str = config(
    "INVITATION_ACCEPT_URL", default="https://app.clinicops.example/invitations/{token}"
)
# --- Observability (apps/observability, docs/deploy.md "Metrics" onwards) ----
# Each part is off until the environment switches it on.
INSTALLED_APPS += ["corsheaders", "apps.observability"]
# Metrics count every request the URL map serves; CORS answers preflights
# before anything else can redirect or refuse them.
MIDDLEWARE.insert(
    MIDDLEWARE.index("apps.core.middleware.HealthCheckMiddleware") + 1,
    "apps.observability.middleware.MetricsMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("apps.observability.middleware.MetricsMiddleware") + 1,
    "corsheaders.middleware.CorsMiddleware",
)
# /metrics/ answers 404 until this is set; Prometheus sends it as a bearer token.
METRICS_TOKEN = config("METRICS_TOKEN", default="")
# Celery queues whose depth (Redis LLEN) a scrape reports.
METRICS_CELERY_QUEUES: list[str] = config("METRICS_CELERY_QUEUES", default="celery", cast=Csv())
# A worker serves its own metrics on this port (0: not served; needs METRICS_TOKEN).
WORKER_METRICS_PORT = config("WORKER_METRICS_PORT", default=0, cast=int)

# Readiness (/health/ready/): a worker must answer a ping within this many
# seconds, and Beat must have published within the max age (it publishes
# beat_heartbeat every minute).
READY_WORKER_TIMEOUT = config("READY_WORKER_TIMEOUT", default=0.4, cast=float)
READY_BEAT_MAX_AGE_SECONDS = config("READY_BEAT_MAX_AGE_SECONDS", default=180, cast=int)
PERIODIC_TASKS["beat-heartbeat"] = {"task": "apps.observability.tasks.beat_heartbeat", "every_minutes": 1}

# Error tracking: Sentry when SENTRY_DSN is set, scrubbed of patient data
# (apps/observability/sentry.py).
SENTRY_DSN = config("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = config("SENTRY_ENVIRONMENT", default="") or config("ENV", default="development")
SENTRY_RELEASE = config("SENTRY_RELEASE", default="") or None
SENTRY_TRACES_SAMPLE_RATE = config("SENTRY_TRACES_SAMPLE_RATE", default=0.0, cast=float)

# Traces: OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard
# OTEL_* variables configure the exporter; apps/observability/tracing.py).
OTEL_EXPORTER_OTLP_ENDPOINT = config("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME = config("OTEL_SERVICE_NAME", default="clinicops")

# CORS: browsers on these origins (scheme://host[:port]) may call the API.
# None by default; credentials are not needed (JWTs travel in Authorization).
CORS_ALLOWED_ORIGINS: list[str] = config("CORS_ALLOWED_ORIGINS", default="", cast=Csv())
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["X-Request-ID"]
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-request-id",
)
CORS_PREFLIGHT_MAX_AGE = 3600
# --- Audit log (apps.audit) -------------------------------------------------
# AUDIT_SIGNING_KEY: base64 of a 32-byte Ed25519 seed (`manage.py audit_public_key
# --generate` prints a new one). Empty means a public throwaway key: fine for a
# laptop and tests, refused by production.py.
AUDIT_SIGNING_KEY = config("AUDIT_SIGNING_KEY", default="")
# Public keys (base64) of retired signing keys whose checkpoints must still verify.
AUDIT_TRUSTED_PUBLIC_KEYS: list[str] = config("AUDIT_TRUSTED_PUBLIC_KEYS", default="", cast=Csv())
# Copies of each checkpoint outside the database (besides the JSON log line):
# a JSON-lines file and/or a URL that receives a POST of the checkpoint JSON.
AUDIT_CHECKPOINT_FILE = config("AUDIT_CHECKPOINT_FILE", default="")
AUDIT_CHECKPOINT_URL = config("AUDIT_CHECKPOINT_URL", default="")
AUDIT_CHECKPOINT_URL_TIMEOUT = config("AUDIT_CHECKPOINT_URL_TIMEOUT", default=2.0, cast=float)
# Events per checkpoint at most; a backlog is sealed in several checkpoints.
AUDIT_SEAL_BATCH = config("AUDIT_SEAL_BATCH", default=50_000, cast=int)
PERIODIC_TASKS["seal-audit-log"] = {"task": "apps.audit.tasks.seal_audit_log", "every_seconds": 5}
# The nightly check keeps its old schedule name, so existing Beat rows are updated in place.
PERIODIC_TASKS["verify-audit-chain"] = {
    "task": "apps.audit.tasks.verify_audit_log",
    "crontab": {"minute": "41", "hour": "2"},
}
