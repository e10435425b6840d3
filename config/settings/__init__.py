"""Settings package: ``ENV`` (environment or .env) picks the module.

``development`` is the embedded default for a bare laptop; ``test`` is what the
suite runs; ``production`` refuses to start without real secrets.
"""

from decouple import config

ENV = config("ENV", default="development")

if ENV == "production":
    from .production import *  # noqa: F403
elif ENV == "test":
    from .test import *  # noqa: F403
elif ENV == "development":
    from .development import *  # noqa: F403
else:  # pragma: no cover - a typo here must not silently run development settings
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"ENV must be development, test or production, not {ENV!r}")
