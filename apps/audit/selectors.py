"""Reading the audit log: the event list, what is still unsealed, the legacy chain, checkpoints."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditLeaf
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


def legacy_events() -> QuerySet[AuditEvent]:
    """Events of the pre-checkpoint hash chain: written before the txid column existed, with a hash."""
    return AuditEvent.objects.filter(txid__isnull=True, hash__isnull=False)


def pending_events(*, horizon: int | None) -> QuerySet[AuditEvent]:
    """Committed events the sealer has not given a position yet.

    ``horizon`` is the last checkpoint's ``txid_horizon``: every event with a
    smaller txid is sealed, so only the recent tail is searched (BRIN on txid).
    """
    unsealed = AuditEvent.objects.filter(~Exists(AuditLeaf.objects.filter(event_id=OuterRef("pk"))))
    if horizon is not None:
        return unsealed.filter(txid__gte=horizon)
    return unsealed.filter(Q(txid__isnull=False) | Q(hash__isnull=True))


def latest_checkpoint() -> AuditCheckpoint | None:
    """The newest checkpoint (largest tree), or None before the first seal."""
    return AuditCheckpoint.objects.order_by("-tree_size").first()


def checkpoint_list() -> QuerySet[AuditCheckpoint]:
    """Every checkpoint, newest first. Checkpoints carry hashes only, no patient data."""
    return AuditCheckpoint.objects.order_by("-tree_size")


def oldest_unsealed_age_seconds() -> float:
    """Seconds since the oldest event that no checkpoint covers yet was recorded; 0.0 when all are sealed.

    For readiness and metrics: the sealer runs every few seconds, so a value of
    minutes means it is stuck (worker or Beat down, a long-open transaction
    holding the horizon, or a broken legacy chain refusing the first seal).
    """
    checkpoint = latest_checkpoint()
    oldest = pending_events(horizon=checkpoint.txid_horizon if checkpoint else None).aggregate(at=Min("at"))["at"]
    if oldest is None:
        return 0.0
    return max((timezone.now() - oldest).total_seconds(), 0.0)


@dataclass(frozen=True)
class SealStatus:
    """The sealer's state at a glance (metrics): sizes, the newest seal, the age of the oldest unsealed event."""

    tree_size: int
    last_sealed_at: Any
    unsealed_events: int
    oldest_unsealed_age_seconds: float


def audit_seal_status() -> SealStatus:
    checkpoint = latest_checkpoint()
    pending = pending_events(horizon=checkpoint.txid_horizon if checkpoint else None)
    stats = pending.aggregate(at=Min("at"))
    age = max((timezone.now() - stats["at"]).total_seconds(), 0.0) if stats["at"] else 0.0
    return SealStatus(
        tree_size=checkpoint.tree_size if checkpoint else 0,
        last_sealed_at=checkpoint.sealed_at if checkpoint else None,
        unsealed_events=pending.count(),
        oldest_unsealed_age_seconds=age,
    )


@dataclass(frozen=True)
class LegacyChainStatus:
    """The pre-checkpoint chain: how many events, its last hash (the first checkpoint's anchor), the first break."""

    events: int
    last_hash: str
    first_broken_event: int | None


def legacy_chain_status(*, batch_size: int = 5000) -> LegacyChainStatus:
    """Walk the legacy chain from genesis; read-only, in id order."""
    prev = GENESIS_HASH
    count = 0
    broken: int | None = None
    for event in legacy_events().order_by("id").iterator(chunk_size=batch_size):
        count += 1
        if broken is None and (event.prev_hash != prev or event.compute_hash() != event.hash):
            broken = event.pk
        prev = event.hash or ""
    return LegacyChainStatus(events=count, last_hash=prev, first_broken_event=broken)


def audit_chain_first_broken_link(*, batch_size: int = 5000) -> int | None:
    """The id of the first legacy event whose hash or link does not verify, or None if the chain is intact."""
    return legacy_chain_status(batch_size=batch_size).first_broken_event
