"""Every row of every project table, to prove that a refused request changed nothing."""

from typing import Any

from django.apps import apps as django_apps
from django.db.models import Model

from tests.personas.routes import project_apps

# Written on purpose by refused requests: audit events record denied reads and failed access.
ALLOWED_TO_CHANGE = {"audit.AuditEvent", "accounts.LoginAttempt"}


def _tables() -> list[type[Model]]:
    labels = {name.rsplit(".", 1)[-1] for name in project_apps()}
    return [
        model
        for model in django_apps.get_models()
        if model._meta.app_label in labels
        and model._meta.label not in ALLOWED_TO_CHANGE
        and not model._meta.proxy
        and model._meta.managed
    ]


def take() -> dict[str, list[tuple[Any, ...]]]:
    """All rows of the project's tables, ordered by primary key (the persona world is small)."""
    return {model._meta.label: list(model._base_manager.order_by("pk").values_list()) for model in _tables()}


def changes(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """The tables whose rows differ, with the number of rows before and after."""
    return [
        f"{label}: {len(before[label])} -> {len(after[label])} rows"
        for label in before
        if before[label] != after[label]
    ]
