"""Recording audit events. Services call these explicitly; there are no signals."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import GENESIS_HASH, AuditEvent
from apps.core import context

MASK = "***"
# Any advisory-lock key unique to the audit chain.
_CHAIN_LOCK_KEY = 0x434C494E4943  # "CLINIC"


@dataclass(frozen=True)
class AuditEntry:
    """One event to record. ``changes`` must already be free of personal data (see mask_changes)."""

    action: str
    resource_type: str
    resource_id: Any = ""
    clinic_id: Any = None
    actor_id: Any = None
    changes: Mapping[str, Any] = field(default_factory=dict)


def mask_changes(changes: Mapping[str, Any], *, sensitive: Iterable[str]) -> dict[str, Any]:
    """Keep the names of changed fields; replace the values of sensitive ones with a mask."""
    hidden = set(sensitive)
    return {name: (MASK if name in hidden else value) for name, value in changes.items()}


def _lock_chain() -> None:
    # Serialise chain appends across processes; the lock ends with the transaction.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def audit_record_many(entries: Iterable[AuditEntry]) -> list[AuditEvent]:
    """Append events to the chain in one locked, bulk insert.

    Client address and request id come from the running request's context.
    """
    ctx = context.current()
    now = timezone.now()
    with transaction.atomic():
        _lock_chain()
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
        events = []
        for entry in entries:
            event = AuditEvent(
                at=now,
                actor_id=entry.actor_id,
                clinic_id=entry.clinic_id,
                action=entry.action,
                resource_type=entry.resource_type,
                resource_id=str(entry.resource_id or ""),
                ip=ctx.client_ip,
                request_id=ctx.request_id,
                changes=dict(entry.changes),
                prev_hash=prev,
            )
            event.hash = event.compute_hash()
            prev = event.hash
            events.append(event)
        return AuditEvent.objects.bulk_create(events)


def audit_record(
    *,
    action: str,
    resource_type: str,
    resource_id: Any = "",
    clinic_id: Any = None,
    actor_id: Any = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain."""
    entry = AuditEntry(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        clinic_id=clinic_id,
        actor_id=actor_id,
        changes=changes or {},
    )
    return audit_record_many([entry])[0]
