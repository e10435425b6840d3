"""A laptop: DEBUG on, SQLite/locmem/eager tasks unless DATABASE_URL/REDIS_URL say otherwise."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, SIMPLE_JWT, config

DEBUG = True
SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-never-used-in-production"
SIMPLE_JWT["SIGNING_KEY"] = SIMPLE_JWT["SIGNING_KEY"] or SECRET_KEY
ALLOWED_HOSTS = ["*"]
# Console by default; the compose dev stack points these at its mail catcher.
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = config("EMAIL_HOST", default="localhost")
EMAIL_PORT = config("EMAIL_PORT", default=1025, cast=int)
EMAIL_USE_TLS = config("EMAIL_USE_TLS", default=False, cast=bool)
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="ClinicOps dev <dev@clinicops.test>")
