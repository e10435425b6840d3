"""Recording audit events. Services call these explicitly; there are no signals.

An append is one multi-row INSERT and nothing else: no lock, no read of a
previous hash, nothing shared between requests, so concurrent appends never
wait on each other. Inside the caller's transaction it commits or rolls back
with the caller's write; outside one it is a single autocommitted statement
(one round trip). Tamper evidence is added later, off the request path, by the
sealer (apps.audit.sealer).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core import context

MASK = "***"

# Everything the request supplies; id and txid come from the database, and the
# legacy chain columns stay empty on new rows.
_INSERT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if f.attname not in ("id", "txid", "prev_hash", "hash")]


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


def _insert(events: list[AuditEvent]) -> None:
    """One INSERT ... VALUES (...), (...) for ``events``; sets their primary keys where the database returns them."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in _INSERT_FIELDS)
    row = "(" + ", ".join(["%s"] * len(_INSERT_FIELDS)) + ")"
    returning = connection.features.can_return_rows_from_bulk_insert
    values = ", ".join([row] * len(events))
    sql = f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608 (no user input)
    if returning:
        sql += f" RETURNING {quote('id')}"
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for event in events for f in _INSERT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
                event.pk = pk
                event._state.adding = False
                event._state.db = connection.alias


def audit_record_many(entries: Iterable[AuditEntry]) -> list[AuditEvent]:
    """Append events in one multi-row INSERT, in the caller's transaction if there is one.

    Client address and request id come from the running request's context.
    """
    ctx = context.current()
    now = timezone.now()
    events = [
        AuditEvent(
            at=now,
            actor_id=entry.actor_id,
            clinic_id=entry.clinic_id,
            action=entry.action,
            resource_type=entry.resource_type,
            resource_id=str(entry.resource_id or ""),
            ip=ctx.client_ip,
            request_id=ctx.request_id,
            changes=dict(entry.changes),
        )
        for entry in entries
    ]
    if not events:
        return events
    batch = max(connection.ops.bulk_batch_size(_INSERT_FIELDS, events), 1)
    if len(events) <= batch:
        _insert(events)
    else:
        # Only SQLite's parameter limit splits a request's events; keep them all-or-nothing.
        with transaction.atomic():
            for start in range(0, len(events), batch):
                _insert(events[start : start + batch])
    return events


def audit_record(
    *,
    action: str,
    resource_type: str,
    resource_id: Any = "",
    clinic_id: Any = None,
    actor_id: Any = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event."""
    entry = AuditEntry(
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        clinic_id=clinic_id,
        actor_id=actor_id,
        changes=changes or {},
    )
    return audit_record_many([entry])[0]
