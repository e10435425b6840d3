"""Archives of old sealed events: a JSON-lines file an auditor verifies offline, without the database.

``audit_archive_export`` writes the newest signed checkpoint, then each sealed
event recorded before a date with its position, its entry (the canonical text
the leaf hashes), its leaf hash and its RFC 9162 inclusion path to that
checkpoint's root. ``audit_archive_verify`` checks the signature with the
trusted keys, and for every event that SHA-256(0x00 || entry) is its leaf
hash and the path leads to the signed root.

Export only: the events stay in the table (its triggers refuse DELETE to the
app's role). Removing archived events is the second half of the retention
design in docs/decisions.md ("Volume") and is not built.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from apps.audit import merkle, signing
from apps.audit.checkpoint_format import SignedCheckpoint
from apps.audit.models import AuditEvent, AuditLeaf
from apps.audit.proofs import StoredTree
from apps.audit.selectors import latest_checkpoint
from apps.core.errors import ConflictError

ARCHIVE_FORMAT = "clinicops-audit-archive-v1"


@dataclass(frozen=True)
class ArchiveExport:
    tree_size: int
    events: int


def audit_archive_export(*, before: datetime, out: TextIO, batch_size: int = 1000) -> ArchiveExport:
    """Write every sealed event with ``at < before`` and its proof against the latest checkpoint."""
    checkpoint = latest_checkpoint()
    if checkpoint is None:
        raise ConflictError("Nothing is sealed yet: there is no checkpoint to prove events against.")
    size = checkpoint.tree_size
    out.write(json.dumps({"format": ARCHIVE_FORMAT, "checkpoint": checkpoint.signed().as_dict()}) + "\n")
    leaves = (
        AuditLeaf.objects.filter(event__at__lt=before, log_index__lt=size)
        .order_by("log_index")
        .values_list("log_index", "leaf_hash", "event_id")
    )
    count = 0
    for chunk in _chunks(leaves.iterator(chunk_size=batch_size), batch_size):
        events = AuditEvent.objects.in_bulk([event_id for _, _, event_id in chunk])
        for log_index, stored, event_id in chunk:
            entry = events[event_id].canonical()
            if merkle.leaf_hash(entry.encode()) != bytes(stored):
                raise ConflictError(
                    f"Event at position {log_index} no longer matches its leaf: run audit_verify first.",
                    code="audit_event_changed",
                )
            path = StoredTree().inclusion_proof(log_index, size)
            line = {"log_index": log_index, "entry": entry, "inclusion_path": [h.hex() for h in path]}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
            count += 1
    return ArchiveExport(tree_size=size, events=count)


def _chunks(rows: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class ArchiveReport:
    tree_size: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_archive_verify(lines: Iterable[str], *, trusted_keys: dict[str, bytes] | None = None) -> ArchiveReport:
    """Check an archive offline; the first problems found (positions, never event contents)."""
    keys = signing.trusted_public_keys() if trusted_keys is None else trusted_keys
    report = ArchiveReport()
    rows = iter(line for line in lines if line.strip())
    try:
        head = json.loads(next(rows))
        if head.get("format") != ARCHIVE_FORMAT:
            raise ValueError("not an audit archive")
        checkpoint = SignedCheckpoint.from_dict(head["checkpoint"])
    except (StopIteration, ValueError, KeyError, TypeError, AttributeError) as exc:
        report.problems.append(f"unreadable archive header: {exc}")
        return report
    report.tree_size = checkpoint.tree_size
    public = keys.get(checkpoint.key_id)
    if public is None or not signing.verify_signature(checkpoint.body(), checkpoint.signature, public):
        report.problems.append("the archive's checkpoint signature does not verify with a trusted key")
        return report
    root = bytes.fromhex(checkpoint.root_hash)
    for number, raw in enumerate(rows, start=2):
        try:
            item = json.loads(raw)
            index, path = int(item["log_index"]), [bytes.fromhex(h) for h in item["inclusion_path"]]
            leaf = merkle.leaf_hash(str(item["entry"]).encode())
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(f"line {number}: unreadable ({type(exc).__name__})")
            continue
        if not merkle.verify_inclusion(index, checkpoint.tree_size, leaf, path, root):
            report.problems.append(f"line {number}: the event at position {index} is not in the signed tree as is")
            continue
        report.events += 1
    return report
