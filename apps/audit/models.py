"""The audit log: append-only events, their positions in a Merkle tree, and signed checkpoints.

Requests only INSERT into ``AuditEvent``. The sealer (apps.audit.sealer), off the
request path, gives each new event a position (``AuditLeaf``), stores the hashes of
some inner nodes (``AuditNode``) so proofs stay cheap, and appends a signed
``AuditCheckpoint``. Events written before checkpoints existed keep their old hash
chain (``prev_hash``/``hash``); its last hash anchors the first checkpoint.
"""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from apps.audit.checkpoint_format import SignedCheckpoint, format_time
from apps.core.ids import uuid7
from apps.core.models import ClinicOwned

GENESIS_HASH = "0" * 64


class CurrentTransactionId(models.Func):
    """The inserting transaction's id (xid8 as bigint) on PostgreSQL; NULL elsewhere.

    The sealer compares it with the oldest running transaction to know which
    events can no longer appear below a point (ids commit out of order).
    SQLite serializes writers, so there the id order is the commit order.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        return "NULL", []

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        return "(pg_current_xact_id()::text::bigint)", []


def canonical_event(
    *,
    event_id: Any,
    at: Any,
    actor_id: Any,
    clinic_id: Any,
    action: str,
    resource_type: str,
    resource_id: str,
    ip: str | None,
    request_id: str,
    changes: Any,
) -> str:
    """The event's fields in one stable text form: the hash chain's input and the Merkle leaf's entry."""
    payload: dict[str, Any] = {
        "event_id": str(event_id),
        "at": at.isoformat(),
        "actor": str(actor_id) if actor_id else None,
        "clinic": str(clinic_id) if clinic_id else None,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "ip": ip,
        "request_id": request_id,
        "changes": changes,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


# The columns canonical_event reads, in its keyword order (sealer and verifier read rows with these).
CANONICAL_FIELDS = (
    "event_id",
    "at",
    "actor_id",
    "clinic_id",
    "action",
    "resource_type",
    "resource_id",
    "ip",
    "request_id",
    "changes",
)


class AuditEvent(ClinicOwned):
    """Who did what to which record, from where and when.

    The integer key is the insertion order; ``event_id`` is the public id.
    ``changes`` is a masked summary: field names and non-personal values only.
    Rows are never updated or deleted (PostgreSQL triggers refuse UPDATE, DELETE
    and TRUNCATE). ``txid`` is filled by the database; ``prev_hash``/``hash``
    belong to the pre-checkpoint chain and are empty on new rows.
    """

    event_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("clinics.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    txid = models.BigIntegerField(null=True, blank=True, editable=False, db_default=CurrentTransactionId())
    # Legacy hash chain (events before the first checkpoint); dropped in a later release.
    # NULL rather than "": the unique index on hash must admit many empty rows.
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["clinic", "resource_type", "resource_id", "id"], name="audit_clinic_resource_id"),
            models.Index(fields=["clinic", "at"], name="audit_clinic_at"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type}:{self.resource_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def canonical(self) -> str:
        """The fields the hashes cover, in a stable text form."""
        return canonical_event(**{name: getattr(self, name) for name in CANONICAL_FIELDS})

    def compute_hash(self) -> str:
        """The legacy chain's hash: sha256(prev_hash + canonical)."""
        return hashlib.sha256(((self.prev_hash or "") + self.canonical()).encode()).hexdigest()


class AuditLeaf(models.Model):
    """An event's position in the Merkle log and its leaf hash, SHA-256(0x00 || canonical event).

    Written only by the sealer, in the transaction that writes the checkpoint
    covering it. A separate table keeps ``AuditEvent`` strictly insert-only.
    ``event`` is unique but has no database foreign key: the sealer writes a leaf
    only for an event it read in the same transaction, and the deferred check of
    50,000 keys (each locking its event row) was a third of a seal; events cannot
    be deleted anyway, the verifier reports a leaf without its event, and an
    archive (``audit_archive``) may one day remove sealed events (docs/decisions.md).
    """

    log_index = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="leaf", db_constraint=False)
    leaf_hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"leaf {self.log_index}"


class AuditNode(models.Model):
    """The hash of a perfect subtree of 2**level leaves starting at leaf index * 2**level.

    Only levels that are multiples of NODE_STRIDE are kept (about 1/15 of the
    leaf count), so any subtree hash a proof needs costs at most 2**(stride-1) reads.
    """

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_node_level_index")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


NODE_STRIDE = 4


class AuditCheckpoint(models.Model):
    """A signed commitment to the first ``tree_size`` events (see apps.audit.checkpoint_format).

    ``frontier`` (the compact range: one hash per set bit of tree_size) lets the
    next seal continue the tree without reading old leaves; ``txid_horizon``
    says that every committed event with a smaller ``txid`` is sealed.
    Neither is signed: the verifier recomputes both.
    """

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    prev_checkpoint_hash = models.CharField(max_length=64)
    checkpoint_hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128)
    frontier = models.JSONField(default=list)
    txid_horizon = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"

    def signed(self) -> SignedCheckpoint:
        return SignedCheckpoint(
            tree_size=self.tree_size,
            root_hash=self.root_hash,
            prev_checkpoint_hash=self.prev_checkpoint_hash,
            sealed_at=format_time(self.sealed_at),
            key_id=self.key_id,
            signature=self.signature,
        )
