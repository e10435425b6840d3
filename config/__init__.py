from .lean_imports import install as _install_lean_imports

_install_lean_imports()

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
