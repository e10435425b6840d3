"""A laptop: DEBUG on, SQLite/locmem/eager tasks unless DATABASE_URL/REDIS_URL say otherwise."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, SIMPLE_JWT

DEBUG = True
SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-never-used-in-production"
SIMPLE_JWT["SIGNING_KEY"] = SIMPLE_JWT["SIGNING_KEY"] or SECRET_KEY
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
