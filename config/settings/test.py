"""The test suite: PostgreSQL and Redis when DATABASE_URL/REDIS_URL are set.

Tasks run eagerly unless a test starts a real worker; passwords hash fast.
"""

from .base import *  # noqa: F403
from .base import SECRET_KEY, SIMPLE_JWT

DEBUG = False
SECRET_KEY = SECRET_KEY or "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
SIMPLE_JWT["SIGNING_KEY"] = SIMPLE_JWT["SIGNING_KEY"] or SECRET_KEY
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "user": "100000/minute",
    "anon": "100000/minute",
    "login": "100000/minute",
}
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]
