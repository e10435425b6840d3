"""Inclusion and consistency proofs served from the stored tree (leaf hashes and every NODE_STRIDE-th level).

A proof needs O(log n) subtree hashes. Each is read from a stored node, or
combined from at most 2**(NODE_STRIDE-1) stored ones below it. The proof is
computed twice: once to learn which stored hashes it needs (fetched in two
queries), once for real.
"""

from dataclasses import dataclass

from django.db.models import Q

from apps.audit import merkle
from apps.audit.models import NODE_STRIDE, AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode
from apps.core.errors import ApplicationError, ConflictError, NotFoundError

_DUMMY = b"\x00" * 32


def _stored_reads(level: int, index: int) -> list[tuple[int, int]]:
    """The stored (level, index) hashes that make up the perfect subtree (level, index)."""
    base = level - level % NODE_STRIDE
    width = 1 << (level - base)
    return [(base, index * width + offset) for offset in range(width)]


class StoredTree:
    """``subtree(lo, hi)`` over the sealed log, with the reads batched."""

    def __init__(self) -> None:
        self._stored: dict[tuple[int, int], bytes] = {}
        self._wanted: set[tuple[int, int]] = set()

    def _record(self, lo: int, hi: int) -> bytes:
        for level, index in merkle.perfect_subtrees(lo, hi):
            self._wanted.update(_stored_reads(level, index))
        return _DUMMY

    def _fetch(self) -> None:
        leaves = [index for level, index in self._wanted if level == 0]
        for log_index, digest in AuditLeaf.objects.filter(log_index__in=leaves).values_list("log_index", "leaf_hash"):
            self._stored[(0, log_index)] = bytes(digest)
        by_level: dict[int, list[int]] = {}
        for level, index in self._wanted:
            if level:
                by_level.setdefault(level, []).append(index)
        if by_level:
            condition = Q()
            for level, indexes in by_level.items():
                condition |= Q(level=level, index__in=indexes)
            for level, index, digest in AuditNode.objects.filter(condition).values_list("level", "index", "hash"):
                self._stored[(level, index)] = bytes(digest)
        missing = self._wanted - self._stored.keys()
        if missing:
            raise ApplicationError(
                "The stored audit tree is incomplete; run audit_verify.", code="audit_tree_incomplete", status_code=500
            )

    def _perfect(self, level: int, index: int) -> bytes:
        hashes = [self._stored[key] for key in _stored_reads(level, index)]
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def subtree(self, lo: int, hi: int) -> bytes:
        if merkle.is_perfect(lo, hi):
            level = (hi - lo).bit_length() - 1
            return self._perfect(level, lo >> level)
        k = merkle.split_point(hi - lo)
        return merkle.node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        merkle.inclusion_proof(index, size, self._record)
        self._fetch()
        return merkle.inclusion_proof(index, size, self.subtree)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        merkle.consistency_proof(first, second, self._record)
        self._fetch()
        return merkle.consistency_proof(first, second, self.subtree)


def checkpoint_by_size(tree_size: int | None) -> AuditCheckpoint:
    """The checkpoint of that size (the latest when None); 404 when there is none."""
    queryset = AuditCheckpoint.objects.order_by("-tree_size")
    checkpoint = queryset.filter(tree_size=tree_size).first() if tree_size is not None else queryset.first()
    if checkpoint is None:
        raise NotFoundError("No audit checkpoint of that size.", code="audit_checkpoint_not_found")
    return checkpoint


@dataclass(frozen=True)
class InclusionProof:
    """An event's leaf, its position and the RFC 9162 audit path to a signed checkpoint's root."""

    entry: str
    leaf_hash: bytes
    log_index: int
    path: list[bytes]
    checkpoint: AuditCheckpoint


def audit_event_inclusion_proof(*, event: AuditEvent, tree_size: int | None = None) -> InclusionProof:
    """The proof that ``event`` as stored now is in the tree of the checkpoint (latest by default).

    409 ``audit_event_not_sealed`` until the sealer gave it a position; 409
    ``audit_event_legacy`` for events of the pre-checkpoint chain.
    """
    leaf = AuditLeaf.objects.filter(event_id=event.pk).values_list("log_index", flat=True).first()
    if leaf is None:
        if event.txid is None and event.hash:
            raise ConflictError(
                "This event predates checkpoints; the legacy hash chain anchored in the first checkpoint covers it.",
                code="audit_event_legacy",
            )
        raise ConflictError("This event is not sealed yet; try again in a few seconds.", code="audit_event_not_sealed")
    checkpoint = checkpoint_by_size(tree_size)
    if checkpoint.tree_size <= leaf:
        raise ConflictError(
            "That checkpoint was sealed before this event; ask for a later one.", code="audit_event_after_checkpoint"
        )
    # The leaf is recomputed from the row as it is now: a changed row fails the auditor's check.
    entry = event.canonical()
    return InclusionProof(
        entry=entry,
        leaf_hash=merkle.leaf_hash(entry.encode()),
        log_index=leaf,
        path=StoredTree().inclusion_proof(leaf, checkpoint.tree_size),
        checkpoint=checkpoint,
    )


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 consistency proof: the tree of ``second`` extends the tree of ``first``."""

    first: AuditCheckpoint
    second: AuditCheckpoint
    path: list[bytes]


def audit_consistency_proof(*, first: int, second: int | None = None) -> ConsistencyProof:
    """Between two checkpoints' sizes (``second`` defaults to the latest)."""
    older = checkpoint_by_size(first)
    newer = checkpoint_by_size(second)
    if newer.tree_size < older.tree_size:
        raise ApplicationError(
            "first must not be larger than second.", code="invalid", fields={"first": ["Larger than second."]}
        )
    return ConsistencyProof(
        first=older, second=newer, path=StoredTree().consistency_proof(older.tree_size, newer.tree_size)
    )
