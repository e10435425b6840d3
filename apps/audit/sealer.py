"""The sealer: gives unsealed events log positions and appends a signed checkpoint.

Off the request path (Celery Beat every few seconds, ``manage.py audit_seal``).
One sealer at a time: a PostgreSQL advisory lock that only the sealer takes
(never a request), tried without waiting, so an overlapping run just returns.

Which events: ids come from a sequence and commit out of order, so "everything
up to the largest id" would lose an event whose transaction commits after the
seal. Instead each event carries its transaction id (``txid``); a seal takes the
oldest still-running transaction id (the snapshot's xmin) first, then seals
every visible event without a position, in id order. No event with a txid
below that xmin can appear later, so the next seal only searches
``txid >= horizon``; an event committed later is simply unsealed at the next
run. The leaf rows, node hashes and checkpoint commit in one transaction, and
``AuditLeaf.event`` is unique: an event is in exactly one checkpoint.

The tree continues from the previous checkpoint's compact range (its right
frontier), so a seal reads only the new events.
"""

import json
import logging
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from apps.audit import signing
from apps.audit.checkpoint_format import SignedCheckpoint, format_time
from apps.audit.entries import pending_entries
from apps.audit.merkle import CompactRange, leaf_hash
from apps.audit.models import NODE_STRIDE, AuditCheckpoint, AuditLeaf, AuditNode
from apps.audit.selectors import latest_checkpoint, legacy_chain_status, pending_events

logger = logging.getLogger("clinicops.audit")
checkpoint_logger = logging.getLogger("clinicops.audit.checkpoint")

SEALER_LOCK_KEY = 0x41554449545345  # "AUDITSE": taken by the sealer only


class LegacyChainBrokenError(Exception):
    """The pre-checkpoint chain does not verify: its last hash cannot anchor the first checkpoint."""

    def __init__(self, first_broken_event: int) -> None:
        super().__init__(f"the legacy audit chain is broken at event id {first_broken_event}")
        self.first_broken_event = first_broken_event


@dataclass(frozen=True)
class SealResult:
    """What one seal did: the checkpoint it wrote (None when nothing was pending or another sealer ran)."""

    checkpoint: AuditCheckpoint | None
    sealed: int
    more: bool  # the batch was full: more events are waiting


def _lock_and_xmin() -> tuple[bool, int | None]:
    """The sealer's lock (tried, never awaited) and the oldest transaction id still running, in one round trip.

    Events with a txid below that xmin are all committed or gone. Its snapshot is taken when
    the statement starts, before the lock is known to be ours: at worst an older xmin, which
    only widens the next seal's window (safe). SQLite's write lock serializes sealers.
    """
    if connection.vendor != "postgresql":
        return True, None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s), pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            [SEALER_LOCK_KEY],
        )
        locked, xmin = cursor.fetchone()
        return bool(locked), int(xmin)


def _genesis_anchor(*, accept_broken_legacy_chain: bool) -> str:
    """The first checkpoint's prev_checkpoint_hash: the legacy chain's last hash, once verified."""
    status = legacy_chain_status()
    if status.first_broken_event is not None:
        if not accept_broken_legacy_chain:
            raise LegacyChainBrokenError(status.first_broken_event)
        logger.error(
            "audit legacy chain broken; anchoring anyway",
            extra={"first_broken_event": status.first_broken_event, "legacy_events": status.events},
        )
    logger.info("audit legacy chain anchored", extra={"legacy_events": status.events, "anchor": status.last_hash})
    return status.last_hash


def audit_seal(*, batch_size: int | None = None, accept_broken_legacy_chain: bool = False) -> SealResult:
    """Seal up to ``batch_size`` pending events into one new signed checkpoint, atomically."""
    limit = batch_size or settings.AUDIT_SEAL_BATCH
    with transaction.atomic():
        # Before reading anything: an event below this xmin that we cannot see will never exist.
        locked, xmin = _lock_and_xmin()
        if not locked:
            return SealResult(checkpoint=None, sealed=0, more=False)
        last = latest_checkpoint()
        horizon = last.txid_horizon if last else None
        rows = pending_entries(pending_events(horizon=horizon), limit=limit)
        if not rows:
            return SealResult(checkpoint=None, sealed=0, more=False)
        if last is None:
            prev_hash = _genesis_anchor(accept_broken_legacy_chain=accept_broken_legacy_chain)
            frontier = CompactRange()
        else:
            prev_hash = last.checkpoint_hash
            frontier = CompactRange(last.tree_size, [bytes.fromhex(h) for h in last.frontier])
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        for pk, entry in rows:
            digest = leaf_hash(entry)
            leaves.append((frontier.size, pk, digest))
            for node in frontier.append(digest):
                if node[0] % NODE_STRIDE == 0:
                    nodes.append(node)
        _write_rows(AuditLeaf, ("log_index", "event_id", "leaf_hash"), leaves)
        _write_rows(AuditNode, ("level", "index", "hash"), nodes)
        more = len(rows) >= limit
        # A full batch left events behind: keep the old horizon so the next run still sees them.
        new_horizon = horizon if more or xmin is None else max(xmin, horizon or 0)
        checkpoint = _store_checkpoint(frontier=frontier, prev_hash=prev_hash, horizon=new_horizon)
        transaction.on_commit(lambda: publish_checkpoint(checkpoint))
    return SealResult(checkpoint=checkpoint, sealed=len(rows), more=more)


def _write_rows(model: type[models.Model], columns: tuple[str, ...], rows: list[tuple[int, int, bytes]]) -> None:
    """COPY on PostgreSQL (Django's bulk_create costs several times the hashing); bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
        )
        return
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    # One text buffer, one write: both tables' rows are (integer, integer, 32-byte hash), bytea as \\x hex.
    text = "".join([f"{a}\t{b}\t\\\\x{digest.hex()}\n" for a, b, digest in rows])
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        copy.write(text)


def _store_checkpoint(*, frontier: CompactRange, prev_hash: str, horizon: int | None) -> AuditCheckpoint:
    sealed_at = timezone.now()
    unsigned = SignedCheckpoint(
        tree_size=frontier.size,
        root_hash=frontier.root().hex(),
        prev_checkpoint_hash=prev_hash,
        sealed_at=format_time(sealed_at),
        key_id=signing.current_key_id(),
        signature="",
    )
    return AuditCheckpoint.objects.create(
        tree_size=unsigned.tree_size,
        root_hash=unsigned.root_hash,
        prev_checkpoint_hash=prev_hash,
        checkpoint_hash=unsigned.checkpoint_hash(),
        sealed_at=sealed_at,
        key_id=unsigned.key_id,
        signature=signing.sign(unsigned.body()),
        frontier=[h.hex() for h in frontier.hashes],
        txid_horizon=horizon,
    )


def publish_checkpoint(checkpoint: AuditCheckpoint) -> None:
    """Copies outside the database: one JSON log line, and the optional file and URL. Never raises."""
    data = checkpoint.signed().as_dict()
    checkpoint_logger.info("audit checkpoint", extra={"checkpoint": data})
    line = json.dumps(data, sort_keys=True) + "\n"
    if settings.AUDIT_CHECKPOINT_FILE:
        try:
            with Path(settings.AUDIT_CHECKPOINT_FILE).open("a", encoding="ascii") as handle:
                handle.write(line)
        except OSError:
            logger.exception("audit checkpoint file not written", extra={"tree_size": checkpoint.tree_size})
    if settings.AUDIT_CHECKPOINT_URL:
        request = urllib.request.Request(  # noqa: S310 (an operator-set URL)
            settings.AUDIT_CHECKPOINT_URL,
            data=line.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.AUDIT_CHECKPOINT_URL_TIMEOUT):  # noqa: S310
                pass
        except (OSError, ValueError):
            logger.warning("audit checkpoint not posted", extra={"tree_size": checkpoint.tree_size})


def audit_seal_all(*, max_batches: int | None = None) -> int:
    """Seal until nothing is pending (or ``max_batches`` checkpoints); the number of events sealed."""
    total = 0
    batches = 0
    while True:
        result = audit_seal()
        total += result.sealed
        batches += 1
        if not result.more or (max_batches is not None and batches >= max_batches):
            return total
