"""The signed checkpoint: its exact bytes, its hash, and its published JSON form.

A checkpoint commits to the first ``tree_size`` events of the log. What is signed
is the canonical JSON (sorted keys, no spaces, ASCII) of five fields::

    {"log":"clinicops-audit-v1","prev_checkpoint_hash":<hex>,"root_hash":<hex>,
     "sealed_at":<ISO 8601 UTC, microseconds>,"tree_size":<int>}

``checkpoint_hash`` is SHA-256 of those bytes, and the next checkpoint's
``prev_checkpoint_hash``. The first checkpoint's ``prev_checkpoint_hash`` is the
last hash of the pre-checkpoint hash chain (64 zeros when there was none).
An auditor needs only this module, ``merkle`` and the public key to check a
published checkpoint offline.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LOG_NAME = "clinicops-audit-v1"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def checkpoint_body(*, tree_size: int, root_hash: str, prev_checkpoint_hash: str, sealed_at: str) -> bytes:
    """The bytes the key signs."""
    payload = {
        "log": LOG_NAME,
        "tree_size": tree_size,
        "root_hash": root_hash,
        "prev_checkpoint_hash": prev_checkpoint_hash,
        "sealed_at": sealed_at,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as published (log line, file, API) and as an auditor holds it."""

    tree_size: int
    root_hash: str
    prev_checkpoint_hash: str
    sealed_at: str
    key_id: str
    signature: str

    def body(self) -> bytes:
        return checkpoint_body(
            tree_size=self.tree_size,
            root_hash=self.root_hash,
            prev_checkpoint_hash=self.prev_checkpoint_hash,
            sealed_at=self.sealed_at,
        )

    def checkpoint_hash(self) -> str:
        return hashlib.sha256(self.body()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            "log": LOG_NAME,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "prev_checkpoint_hash": self.prev_checkpoint_hash,
            "sealed_at": self.sealed_at,
            "checkpoint_hash": self.checkpoint_hash(),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SignedCheckpoint":
        """From published JSON; ValueError when a field is missing or of the wrong type."""
        try:
            checkpoint = cls(
                tree_size=int(data["tree_size"]),
                root_hash=str(data["root_hash"]),
                prev_checkpoint_hash=str(data["prev_checkpoint_hash"]),
                sealed_at=str(data["sealed_at"]),
                key_id=str(data["key_id"]),
                signature=str(data["signature"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a checkpoint: {exc}") from None
        if data.get("log", LOG_NAME) != LOG_NAME:
            raise ValueError(f"checkpoint of another log: {data.get('log')!r}")
        return checkpoint


def load_published(text: str) -> list[SignedCheckpoint]:
    """Checkpoints from a file: one JSON object, a JSON list, or JSON lines (AUDIT_CHECKPOINT_FILE)."""
    text = text.strip()
    if not text:
        return []
    try:
        parsed: Any = json.loads(text)
    except json.JSONDecodeError:
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
    items = parsed if isinstance(parsed, list) else [parsed]
    # A log line wraps the checkpoint in {"checkpoint": {...}} next to time and level.
    return [SignedCheckpoint.from_dict(item.get("checkpoint", item)) for item in items]
