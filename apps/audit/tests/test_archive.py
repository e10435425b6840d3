"""audit_archive exports old sealed events with proofs; audit_verify --archive checks the file offline."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from apps.audit import merkle
from apps.audit.archive import audit_archive_verify
from apps.audit.models import AuditEvent
from apps.audit.sealer import audit_seal_all
from apps.audit.verify import audit_log_verify

pytestmark = pytest.mark.django_db

CUT = datetime(2026, 6, 1, tzinfo=UTC)


def events(count: int, at: datetime) -> list[AuditEvent]:
    return [
        AuditEvent.objects.create(
            at=at + timedelta(minutes=n), action="x.read", resource_type="thing", resource_id=str(n)
        )
        for n in range(count)
    ]


def test_old_sealed_events_are_archived_with_proofs_that_verify_offline(tmp_path):
    old = events(5, CUT - timedelta(days=40))
    events(3, CUT + timedelta(days=1))
    audit_seal_all()
    unsealed = events(1, CUT - timedelta(days=400))[0]  # old but not sealed yet: not in the archive
    out = tmp_path / "archive.jsonl"
    call_command("audit_archive", "--before", "2026-06-01", "--out", str(out))
    lines = out.read_text().splitlines()
    head, rows = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert head["checkpoint"]["tree_size"] == 8
    assert [row["entry"] for row in rows] == [e.canonical() for e in old]
    assert unsealed.canonical() not in out.read_text()
    # Independently of the module: each leaf and path leads to the signed root.
    root = bytes.fromhex(head["checkpoint"]["root_hash"])
    for row in rows:
        leaf = merkle.leaf_hash(row["entry"].encode())
        path = [bytes.fromhex(h) for h in row["inclusion_path"]]
        assert merkle.verify_inclusion(row["log_index"], 8, leaf, path, root)
    report = audit_archive_verify(lines)
    assert (report.ok, report.events, report.tree_size) == (True, 5, 8)
    call_command("audit_verify", "--archive", str(out))
    assert audit_log_verify().ok  # exporting changes nothing in the log


def test_a_changed_entry_or_a_forged_checkpoint_fails_the_archive(tmp_path):
    events(4, CUT - timedelta(days=3))
    audit_seal_all()
    out = tmp_path / "archive.jsonl"
    call_command("audit_archive", "--before", "2026-06-01", "--out", str(out))
    lines = out.read_text().splitlines()
    changed = json.loads(lines[2])
    changed["entry"] = changed["entry"].replace('"x.read"', '"x.list"')
    tampered = [lines[0], lines[1], json.dumps(changed), *lines[3:]]
    report = audit_archive_verify(tampered)
    assert report.events == 3
    assert report.problems == ["line 3: the event at position 1 is not in the signed tree as is"]
    head = json.loads(lines[0])
    head["checkpoint"]["tree_size"] = 3
    assert not audit_archive_verify([json.dumps(head), *lines[1:]]).ok
    (tmp_path / "bad.jsonl").write_text("\n".join(tampered) + "\n")
    with pytest.raises(CommandError, match="archive verification failed"):
        call_command("audit_verify", "--archive", str(tmp_path / "bad.jsonl"))


def test_archive_refuses_to_overwrite_and_needs_a_checkpoint(tmp_path):
    out = tmp_path / "archive.jsonl"
    with pytest.raises(CommandError, match="Nothing is sealed"):
        call_command("audit_archive", "--before", "2026-06-01", "--out", str(out))
    assert not out.exists()
    out.write_text("keep me")
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit_archive", "--before", "2026-06-01", "--out", str(out))
    assert out.read_text() == "keep me"
