"""Reading the audit trail."""

from collections.abc import Callable, Sequence
from typing import Any

from apps.audit.models import GENESIS_HASH, AuditEvent
from apps.core.tenancy import Access


def audit_event_list(*, access: Access, filters: dict[str, Any], paginate: Callable[[Any], Sequence[Any]]) -> Any:
    """A page of the events of clinics whose audit log the caller may read, newest first, filtered."""
    events = AuditEvent.objects.visible_to(access, "audit")
    for name in ("resource_type", "resource_id", "action"):
        if filters.get(name):
            events = events.filter(**{name: filters[name]})
    if filters.get("actor"):
        events = events.filter(actor_id=filters["actor"])
    return paginate(events.order_by("-id"))


def audit_chain_first_broken_link(*, batch_size: int = 5000) -> int | None:
    """The id of the first event whose hash or link does not verify, or None if the chain is intact."""
    prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            return event.pk
        prev = event.hash
    return None
