"""Verification: recompute every checkpoint from the events and report the first mismatch.

Read-only. Checks, in order: the legacy hash chain and that its last hash is the
first checkpoint's anchor; then, streaming checkpoints and leaves together,
each checkpoint's hash, signature (a trusted key) and link to the previous one,
that the leaves are contiguous, that every event still hashes to its sealed
leaf, and that the recomputed root and frontier equal the stored ones; then no
leaf past the last checkpoint and no event left unsealed below the horizon;
finally each published checkpoint (a copy kept outside the database) is in the
database unchanged, and the log only grew since it (RFC 9162 consistency proof).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max, Q

from apps.audit import merkle, signing
from apps.audit.checkpoint_format import SignedCheckpoint
from apps.audit.models import CANONICAL_FIELDS, AuditCheckpoint, AuditLeaf, canonical_event
from apps.audit.proofs import StoredTree
from apps.audit.selectors import legacy_chain_status, pending_events
from apps.core.errors import ApplicationError


@dataclass(frozen=True)
class Problem:
    """One mismatch: a stable ``kind``, a sentence for people, and ids/positions (never event contents)."""

    kind: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class VerifyReport:
    """The outcome of a verification run; ``problems[0]`` is the first mismatch."""

    legacy_events: int = 0
    events: int = 0
    checkpoints: int = 0
    published: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def _leaf_rows(batch_size: int) -> Iterator[tuple[Any, ...]]:
    columns = ["log_index", "leaf_hash", "event_id", *[f"event__{name}" for name in CANONICAL_FIELDS]]
    return AuditLeaf.objects.order_by("log_index").values_list(*columns).iterator(chunk_size=batch_size)


class _Verifier:
    def __init__(self, published: Sequence[SignedCheckpoint], batch_size: int) -> None:
        self.report = VerifyReport()
        self.published = list(published)
        self.batch_size = batch_size
        self.keys = signing.trusted_public_keys()
        self.frontier = merkle.CompactRange()
        self.roots_at: dict[int, bytes] = {}
        self.watch = {p.tree_size for p in self.published}
        self.latest: AuditCheckpoint | None = None

    def fail(self, kind: str, message: str, **detail: Any) -> None:
        self.report.problems.append(Problem(kind, message, detail))

    def run(self) -> VerifyReport:
        legacy = legacy_chain_status(batch_size=self.batch_size)
        self.report.legacy_events = legacy.events
        if legacy.first_broken_event is not None:
            self.fail(
                "legacy_chain_broken",
                "The pre-checkpoint hash chain is broken.",
                event=legacy.first_broken_event,
            )
        if self._checkpoints(anchor=legacy.last_hash):
            self._tail()
        self._published()
        return self.report

    def signature_ok(self, checkpoint: SignedCheckpoint) -> bool:
        public = self.keys.get(checkpoint.key_id)
        return public is not None and signing.verify_signature(checkpoint.body(), checkpoint.signature, public)

    def _checkpoints(self, *, anchor: str) -> bool:
        """The Merkle phase; False once a mismatch was found (later roots would all differ too)."""
        leaves = _leaf_rows(self.batch_size)
        previous: AuditCheckpoint | None = None
        for checkpoint in AuditCheckpoint.objects.order_by("tree_size").iterator(chunk_size=self.batch_size):
            signed = checkpoint.signed()
            where = {"tree_size": checkpoint.tree_size}
            if signed.checkpoint_hash() != checkpoint.checkpoint_hash:
                self.fail("checkpoint_hash_mismatch", "A checkpoint's fields do not match its hash.", **where)
                return False
            if not self.signature_ok(signed):
                self.fail("checkpoint_signature_invalid", "A checkpoint's signature does not verify.", **where)
                return False
            expected_prev = previous.checkpoint_hash if previous else anchor
            if checkpoint.prev_checkpoint_hash != expected_prev:
                kind = "checkpoint_chain_broken" if previous else "legacy_anchor_mismatch"
                self.fail(kind, "A checkpoint does not link to the one before it (or the legacy chain).", **where)
                return False
            if not self._advance(leaves, checkpoint.tree_size):
                return False
            if self.frontier.root().hex() != checkpoint.root_hash:
                self.fail("root_mismatch", "The events do not hash to the checkpoint's root.", **where)
                return False
            if [h.hex() for h in self.frontier.hashes] != checkpoint.frontier:
                self.fail("frontier_mismatch", "The stored frontier would continue a different tree.", **where)
                return False
            self.report.checkpoints += 1
            previous = checkpoint
        self.latest = previous
        extra = next(leaves, None)
        if extra is not None:
            self.fail("leaves_past_checkpoint", "Leaves exist past the last checkpoint.", log_index=extra[0])
            return False
        return True

    def _advance(self, leaves: Iterator[tuple[Any, ...]], tree_size: int) -> bool:
        while self.frontier.size < tree_size:
            row = next(leaves, None)
            expected = self.frontier.size
            if row is None:
                self.fail(
                    "events_missing",
                    "The log ends before a checkpoint's tree size: events were removed (or the table truncated).",
                    log_index=expected,
                    tree_size=tree_size,
                )
                return False
            log_index, stored, event_pk, *values = row
            if log_index != expected:
                self.fail("event_missing", "A sealed event is missing from the log.", log_index=expected)
                return False
            digest = merkle.leaf_hash(canonical_event(**dict(zip(CANONICAL_FIELDS, values, strict=True))).encode())
            if digest != bytes(stored):
                self.fail(
                    "event_changed",
                    "An event no longer matches what was sealed (changed, or events swapped).",
                    log_index=log_index,
                    event=event_pk,
                )
                return False
            self.frontier.append(digest)
            self.report.events += 1
            if self.frontier.size in self.watch:
                self.roots_at[self.frontier.size] = self.frontier.root()
        return True

    def _tail(self) -> None:
        """Events that should be sealed and are not: written behind the sealer's back."""
        latest = self.latest
        if latest is None:
            return
        unsealed = pending_events(horizon=None)
        if connection.vendor == "postgresql":
            if latest.txid_horizon is None:
                return
            behind = unsealed.filter(Q(txid__lt=latest.txid_horizon) | Q(txid__isnull=True))
        else:
            last_sealed = AuditLeaf.objects.aggregate(top=Max("event_id"))["top"] or 0
            behind = unsealed.filter(id__lt=last_sealed)
        first = behind.order_by("id").values_list("id", flat=True).first()
        if first is not None:
            self.fail(
                "event_inserted_unsealed",
                "An event sits below the sealed horizon without a position: inserted behind the sealer.",
                event=first,
            )

    def _published(self) -> None:
        latest_size = self.latest.tree_size if self.latest else 0
        for published in self.published:
            self.report.published += 1
            where = {"tree_size": published.tree_size}
            if not self.signature_ok(published):
                self.fail("published_signature_invalid", "A published checkpoint's signature does not verify.", **where)
                continue
            stored = AuditCheckpoint.objects.filter(tree_size=published.tree_size).first()
            if stored is None:
                if published.tree_size > latest_size:
                    self.fail(
                        "log_truncated",
                        "A published checkpoint covers more events than the database holds: the tail was removed.",
                        published_tree_size=published.tree_size,
                        database_tree_size=latest_size,
                    )
                else:
                    self.fail(
                        "published_checkpoint_missing", "A published checkpoint is gone from the database.", **where
                    )
                continue
            if stored.checkpoint_hash != published.checkpoint_hash():
                self.fail(
                    "published_checkpoint_mismatch",
                    "The database's checkpoint differs from the published one.",
                    **where,
                )
                continue
            root = self.roots_at.get(published.tree_size)
            if root is not None and root.hex() != published.root_hash:
                self.fail("published_root_mismatch", "The events no longer hash to the published root.", **where)
                continue
            if self.latest and self.latest.tree_size > published.tree_size:
                try:
                    path = StoredTree().consistency_proof(published.tree_size, self.latest.tree_size)
                except ApplicationError:  # stored node hashes missing
                    path = []
                if not merkle.verify_consistency(
                    published.tree_size,
                    self.latest.tree_size,
                    bytes.fromhex(published.root_hash),
                    bytes.fromhex(self.latest.root_hash),
                    path,
                ):
                    self.fail("consistency_failed", "The log is not an extension of the published checkpoint.", **where)


def audit_log_verify(*, published: Sequence[SignedCheckpoint] = (), batch_size: int = 10_000) -> VerifyReport:
    """Recompute every checkpoint; compare with ``published`` copies. Read-only; safe to run any time."""
    return _Verifier(published, batch_size).run()
