"""Test helpers: rows of the pre-checkpoint chain, and tampering as a database superuser."""

from typing import Any

from django.db import connection
from django.utils import timezone

from apps.audit.models import GENESIS_HASH, AuditEvent


def write_legacy_chain(count: int, **fields: Any) -> list[AuditEvent]:
    """Events as the previous release wrote them: chained by hash, no txid."""
    last = (
        AuditEvent.objects.filter(txid__isnull=True, hash__isnull=False)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    prev = last or GENESIS_HASH
    events = []
    for n in range(count):
        event = AuditEvent(
            at=timezone.now(),
            action=fields.get("action", "legacy.read"),
            resource_type="thing",
            resource_id=str(n),
            clinic_id=fields.get("clinic_id"),
            prev_hash=prev,
            txid=None,
        )
        event.hash = event.compute_hash()
        prev = event.hash
        event.save()
        events.append(event)
    return events


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run ``sql`` as the superuser would to hide it: with every trigger off (replica mode) on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the foreign-key checks the test's own inserts queued now, not against the tampered rows.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params or [])
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
