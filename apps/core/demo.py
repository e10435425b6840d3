"""Demo data for `make run`: each app registers its own step; core only runs them, in order.

Core imports no domain app: a step is registered by dotted path in its app's
``AppConfig.ready`` and imported only when the seed runs. Every step is
idempotent and returns the logins it wants printed, as ``(email, description)``.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils.module_loading import import_string

DEMO_PASSWORD = "demo-pass-2026!"  # noqa: S105  (demo data for a laptop, printed on purpose)

DemoStep = Callable[[], list[tuple[str, str]]]
_steps: dict[str, int] = {}


def register_demo_step(path: str, *, order: int) -> None:
    """Register ``path`` (a ``module.function`` returning logins) to run at position ``order``."""
    _steps[path] = order


def demo_steps() -> list[str]:
    return sorted(_steps, key=lambda path: (_steps[path], path))


@transaction.atomic
def demo_seed() -> list[tuple[str, str]]:
    """Run every registered demo step in order; returns the logins to print."""
    logins: list[tuple[str, str]] = []
    for path in demo_steps():
        step: DemoStep = import_string(path)
        logins.extend(step())
    return logins
