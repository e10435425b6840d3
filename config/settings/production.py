"""Production: refuses to start without real secrets; HTTPS behind a proxy.

Railway and compose inject the environment; nothing here has a default that
could leak into a real deployment.
"""

from decouple import Csv
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASE_URL, SECRET_KEY, config

DEBUG = False


def _require(name: str, value: object) -> None:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when ENV=production")


_require("SECRET_KEY", SECRET_KEY)
_require("ALLOWED_HOSTS", [h for h in ALLOWED_HOSTS if h])
_require("DATABASE_URL", DATABASE_URL)
if (
    len(SECRET_KEY) < 50
    or SECRET_KEY.startswith(("django-insecure", "change-me"))  # "change-me": the .env template's marker
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured("SECRET_KEY is too weak for production (50+ random characters)")
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name hosts in production, not '*'")

# TLS ends at the platform's proxy, which says so in X-Forwarded-Proto. With
# that header trusted, redirecting plain HTTP is safe (no loop), so we do it,
# except for /health/, which probes call over plain HTTP.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", default=True, cast=bool)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", default=31536000, cast=int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The header only permits submission to the preload list; nothing is submitted for you.
SECURE_HSTS_PRELOAD = config("SECURE_HSTS_PRELOAD", default=True, cast=bool)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

# Keys being rotated out: sessions and signatures made with them stay valid
# until they expire, so a rotation does not sign everyone out at once.
SECRET_KEY_FALLBACKS = config("SECRET_KEY_FALLBACKS", default="", cast=Csv())

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Serve only the hashed names (which carry far-future cache headers); the
# unhashed copies are not kept in the image.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = config("EMAIL_HOST", default="localhost")
EMAIL_PORT = config("EMAIL_PORT", default=587, cast=int)
EMAIL_HOST_USER = config("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = config("EMAIL_USE_TLS", default=True, cast=bool)
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="ClinicOps <no-reply@localhost>")

# The audit log's checkpoints must be signed with a real key (apps.audit.signing).
_require("AUDIT_SIGNING_KEY", config("AUDIT_SIGNING_KEY", default=""))
import base64  # noqa: E402

try:
    _audit_seed = base64.b64decode(config("AUDIT_SIGNING_KEY").strip(), validate=True)
except ValueError:
    _audit_seed = b""
if len(_audit_seed) != 32:
    raise ImproperlyConfigured("AUDIT_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed")
