"""Reading the audit trail."""

from typing import Any

from django.db.models import QuerySet

from apps.audit.models import GENESIS_HASH, AuditEvent


def audit_event_list(*, queryset: QuerySet[AuditEvent], filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Events of an already tenancy-scoped queryset, newest first, filtered."""
    for name in ("resource_type", "resource_id", "action"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("actor"):
        queryset = queryset.filter(actor_id=filters["actor"])
    return queryset.order_by("-id")


def audit_chain_first_broken_link(*, batch_size: int = 5000) -> int | None:
    """The id of the first event whose hash or link does not verify, or None if the chain is intact."""
    prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            return event.pk
        prev = event.hash
    return None
