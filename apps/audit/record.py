"""The one way the apps record audit events: a typed event, and the target derived from the object.

Each app declares its events as a ``TextChoices`` in ``apps/<app>/events.py``;
the stored ``action`` is the member's value. ``audit_record`` takes the
object itself and derives the clinic, the resource type (the model's name in
snake case: ``PatientExport`` -> ``patient_export``) and the id, so a call
site cannot mislabel them. Reads of many rows go through
``audit_record_reads``: one event per clinic read, all in one bulk insert.
Storage (the insert itself) is ``apps.audit.services.audit_record_many``.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from apps.audit.services import AuditEntry, audit_record_many

if TYPE_CHECKING:
    from apps.accounts.models import User


@dataclass(frozen=True)
class AuditTarget:
    """A resource named without an instance at hand: an unknown login email's user, a refused id."""

    resource_type: str
    resource_id: Any = ""
    clinic_id: Any = None


_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def resource_type_of(model: type[models.Model]) -> str:
    """The audit ``resource_type`` of a model: its class name in snake case, unless it names its own
    (``audit_resource_type``: a renamed model keeps its trail's name)."""
    declared: str | None = getattr(model, "audit_resource_type", None)
    return declared or _CAMEL_BOUNDARY.sub("_", model.__name__).lower()


def target_of(obj: models.Model | AuditTarget) -> AuditTarget:
    """Clinic, type and id of the audited object (a clinic is its own clinic; a user has none)."""
    if isinstance(obj, AuditTarget):
        return obj
    clinic_id = obj.pk if obj._meta.label == "clinics.Clinic" else getattr(obj, "clinic_id", None)
    return AuditTarget(resource_type=resource_type_of(type(obj)), resource_id=obj.pk, clinic_id=clinic_id)


def _action_of(event: models.TextChoices) -> str:
    # Free text is refused: the vocabulary is the TextChoices of each app.
    if not isinstance(event, models.TextChoices):
        raise TypeError(f"audit events are TextChoices members, not {type(event).__name__}")
    return str(event.value)


def audit_entry(
    *,
    actor: "User | None",
    obj: models.Model | AuditTarget,
    event: models.TextChoices,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """The entry ``audit_record`` would write, for callers that batch several."""
    target = target_of(obj)
    return AuditEntry(
        action=_action_of(event),
        resource_type=target.resource_type,
        resource_id=target.resource_id,
        clinic_id=target.clinic_id,
        actor_id=actor.pk if actor is not None else None,
        changes=dict(changes or {}),
    )


def audit_record(
    *,
    actor: "User | None",
    obj: models.Model | AuditTarget,
    event: models.TextChoices,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Record one event about ``obj``. ``changes`` must be free of personal data (mask_changes)."""
    audit_record_many([audit_entry(actor=actor, obj=obj, event=event, changes=changes)])


def _field(row: models.Model | Mapping[str, Any], name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


def audit_record_reads(
    *,
    actor: "User",
    event: models.TextChoices,
    model: type[models.Model],
    rows: Iterable[models.Model | Mapping[str, Any]],
    clinic_ids: Iterable[Any] = (),
    query: Mapping[str, Any] | None = None,
    related: Mapping[str, str] | None = None,
) -> None:
    """Record a read of many rows: one event per clinic, with the ids it returned, in one bulk insert.

    ``rows`` are instances or ``values()`` rows with ``id`` and ``clinic_id``.
    ``clinic_ids`` are the clinics the read covered: each gets an event even
    when it returned nothing (a search is a disclosure attempt too).
    ``related`` names further ids to keep, e.g. ``{"patients": "patient_id"}``
    for appointments, so an auditor can find whose data a list showed.
    """
    related = related or {}
    returned: dict[Any, dict[str, list[str]]] = {}

    def bucket(clinic_id: Any) -> dict[str, list[str]]:
        return returned.setdefault(clinic_id, {"ids": [], **{name: [] for name in related}})

    for clinic_id in clinic_ids:
        bucket(clinic_id)
    for row in rows:
        found = bucket(_field(row, "clinic_id"))
        found["ids"].append(str(_field(row, "id") if isinstance(row, Mapping) else row.pk))
        for name, key in related.items():
            value = _field(row, key)
            if value is not None and str(value) not in found[name]:
                found[name].append(str(value))
    action = _action_of(event)
    resource_type = resource_type_of(model)
    entries = [
        AuditEntry(
            action=action,
            resource_type=resource_type,
            resource_id="",
            clinic_id=clinic_id,
            actor_id=actor.pk,
            changes={"query": dict(query or {}), **found},
        )
        for clinic_id, found in returned.items()
    ]
    if entries:
        audit_record_many(entries)
