"""Finds each app's ``PERSONAS`` (route name -> PersonaCase) and ``INTERNAL_MODELS`` (model -> why)."""

import importlib
from functools import cache
from typing import Any

from tests.personas.case import PersonaCase
from tests.personas.routes import project_apps


def _module(app: str) -> Any:
    try:
        return importlib.import_module(f"{app}.tests.personas")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"{app}.tests", f"{app}.tests.personas"):
            raise
        return None


@cache
def personas() -> dict[str, PersonaCase]:
    found: dict[str, PersonaCase] = {}
    for app in project_apps():
        module = _module(app)
        for name, case in getattr(module, "PERSONAS", {}).items():
            assert name not in found, f"route {name} has persona entries in two apps"
            assert isinstance(case, PersonaCase), f"{app}: PERSONAS[{name!r}] is not a PersonaCase"
            found[name] = case
    return found


@cache
def internal_models() -> dict[type, str]:
    """Clinic-owned models that no route serves, each with the reason."""
    found: dict[type, str] = {}
    for app in project_apps():
        found.update(getattr(_module(app), "INTERNAL_MODELS", {}))
    return found
