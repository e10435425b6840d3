"""The sealer: positions, checkpoints, signatures, the legacy anchor, copies outside the database."""

import json
import logging

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from apps.audit import merkle, signing
from apps.audit.checkpoint_format import load_published
from apps.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode
from apps.audit.proofs import StoredTree, audit_consistency_proof, audit_event_inclusion_proof
from apps.audit.sealer import LegacyChainBrokenError, audit_seal, audit_seal_all
from apps.audit.selectors import audit_seal_status, oldest_unsealed_age_seconds
from apps.audit.services import AuditEntry, audit_record, audit_record_many
from apps.audit.tasks import seal_audit_log, verify_audit_log
from apps.audit.tests.helpers import tamper, write_legacy_chain
from apps.audit.verify import audit_log_verify
from apps.core.errors import ConflictError

pytestmark = pytest.mark.django_db


def record(count: int, clinic_id=None) -> list[AuditEvent]:
    return audit_record_many(
        [
            AuditEntry(action="x.read", resource_type="thing", resource_id=str(n), clinic_id=clinic_id)
            for n in range(count)
        ]
    )


def leaves_in_order() -> list[bytes]:
    return [bytes(h) for h in AuditLeaf.objects.order_by("log_index").values_list("leaf_hash", flat=True)]


def test_a_seal_gives_positions_in_id_order_and_signs_the_root():
    events = record(5)
    result = audit_seal()
    assert result.sealed == 5
    assert not result.more
    checkpoint = result.checkpoint
    assert checkpoint is not None
    assert checkpoint.tree_size == 5
    positions = dict(AuditLeaf.objects.values_list("event_id", "log_index"))
    assert [positions[e.pk] for e in events] == [0, 1, 2, 3, 4]
    expected = [merkle.leaf_hash(e.canonical().encode()) for e in AuditEvent.objects.order_by("id")]
    assert leaves_in_order() == expected
    assert checkpoint.root_hash == merkle.root_of(expected).hex()
    assert checkpoint.prev_checkpoint_hash == GENESIS_HASH  # no legacy chain here
    signed = checkpoint.signed()
    assert signing.verify_signature(signed.body(), signed.signature, signing.current_public_key())
    assert signed.checkpoint_hash() == checkpoint.checkpoint_hash


def test_nothing_pending_writes_no_checkpoint():
    assert audit_seal().checkpoint is None
    record(1)
    audit_seal()
    assert audit_seal().checkpoint is None
    assert AuditCheckpoint.objects.count() == 1


def test_seals_continue_the_tree_and_chain_the_checkpoints():
    record(3)
    first = audit_seal().checkpoint
    record(6)
    second = audit_seal(batch_size=4)
    third = audit_seal(batch_size=4)
    assert second.more
    assert second.sealed == 4
    assert third.sealed == 2
    assert not third.more
    assert [c.tree_size for c in AuditCheckpoint.objects.order_by("tree_size")] == [3, 7, 9]
    assert second.checkpoint.prev_checkpoint_hash == first.checkpoint_hash
    assert third.checkpoint.prev_checkpoint_hash == second.checkpoint.checkpoint_hash
    leaves = leaves_in_order()
    assert third.checkpoint.root_hash == merkle.root_of(leaves).hex()
    assert audit_log_verify().ok


def test_stored_nodes_serve_proofs_equal_to_the_memory_tree():
    record(300)
    audit_seal_all()
    leaves = leaves_in_order()
    assert AuditNode.objects.filter(level=4).count() == 300 // 16
    assert AuditNode.objects.filter(level=8).count() == 1
    memory = merkle.memory_subtree(leaves)
    for index in (0, 1, 15, 16, 255, 256, 299):
        assert StoredTree().inclusion_proof(index, 300) == merkle.inclusion_proof(index, 300, memory)
    for first in (1, 16, 17, 200, 299):
        assert StoredTree().consistency_proof(first, 300) == merkle.consistency_proof(first, 300, memory)


def test_an_inclusion_proof_verifies_against_the_signed_root():
    events = record(21)
    audit_seal()
    proof = audit_event_inclusion_proof(event=events[13])
    root = bytes.fromhex(proof.checkpoint.root_hash)
    assert proof.leaf_hash == merkle.leaf_hash(proof.entry.encode())
    assert merkle.verify_inclusion(proof.log_index, proof.checkpoint.tree_size, proof.leaf_hash, proof.path, root)


def test_a_consistency_proof_links_two_checkpoints():
    record(5)
    audit_seal()
    record(12)
    audit_seal()
    proof = audit_consistency_proof(first=5)
    assert (proof.first.tree_size, proof.second.tree_size) == (5, 17)
    assert merkle.verify_consistency(
        5, 17, bytes.fromhex(proof.first.root_hash), bytes.fromhex(proof.second.root_hash), proof.path
    )


def test_an_unsealed_event_has_no_proof_yet():
    event = audit_record(action="a", resource_type="t")
    with pytest.raises(ConflictError) as raised:
        audit_event_inclusion_proof(event=event)
    assert raised.value.code == "audit_event_not_sealed"


def test_the_legacy_chain_is_verified_once_and_anchors_the_first_checkpoint():
    legacy = write_legacy_chain(4)
    new = record(2)
    checkpoint = audit_seal().checkpoint
    assert checkpoint.prev_checkpoint_hash == legacy[-1].hash
    # Legacy events keep their chain and get no position; nothing of theirs was rewritten.
    assert set(AuditLeaf.objects.values_list("event_id", flat=True)) == {e.pk for e in new}
    assert [e.hash for e in AuditEvent.objects.filter(pk__in=[e.pk for e in legacy]).order_by("id")] == [
        e.hash for e in legacy
    ]
    with pytest.raises(ConflictError) as raised:
        audit_event_inclusion_proof(event=legacy[0])
    assert raised.value.code == "audit_event_legacy"
    report = audit_log_verify()
    assert report.ok
    assert report.legacy_events == 4
    assert report.events == 2


def test_a_broken_legacy_chain_refuses_the_first_seal_unless_accepted():
    legacy = write_legacy_chain(3)
    tamper("UPDATE audit_auditevent SET resource_id = 'forged' WHERE id = %s", [legacy[1].pk])
    record(1)
    with pytest.raises(LegacyChainBrokenError) as raised:
        audit_seal()
    assert raised.value.first_broken_event == legacy[1].pk
    assert AuditCheckpoint.objects.count() == 0
    assert AuditLeaf.objects.count() == 0
    assert seal_audit_log() == 0  # the task logs and returns
    assert audit_seal(accept_broken_legacy_chain=True).checkpoint is not None
    report = audit_log_verify()
    assert report.first_problem.kind == "legacy_chain_broken"
    assert report.first_problem.detail == {"event": legacy[1].pk}


def test_each_checkpoint_is_logged_and_appended_to_the_checkpoint_file(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    checkpoint_logger = logging.getLogger("clinicops.audit.checkpoint")
    # Own handler on the logger itself: other tests may reconfigure logging (caplog sits on the root).
    checkpoint_logger.addHandler(handler)
    previous = checkpoint_logger.level, checkpoint_logger.disabled
    checkpoint_logger.setLevel(logging.INFO)
    checkpoint_logger.disabled = False
    try:
        record(2)
        # The copies are written after commit; the test's own transaction never commits, so run them here.
        with TestCase.captureOnCommitCallbacks(execute=True):
            first = audit_seal().checkpoint
        record(1)
        with TestCase.captureOnCommitCallbacks(execute=True):
            second = audit_seal().checkpoint
    finally:
        checkpoint_logger.removeHandler(handler)
        checkpoint_logger.setLevel(previous[0])
        checkpoint_logger.disabled = previous[1]
    assert [r.checkpoint["tree_size"] for r in records] == [2, 3]
    published = load_published((tmp_path / "checkpoints.jsonl").read_text())
    assert [p.checkpoint_hash() for p in published] == [first.checkpoint_hash, second.checkpoint_hash]
    assert json.loads((tmp_path / "checkpoints.jsonl").read_text().splitlines()[0])["root_hash"] == first.root_hash
    assert verify_audit_log() is None


def test_the_age_of_the_oldest_unsealed_event_is_exposed():
    assert oldest_unsealed_age_seconds() == 0.0
    record(1)
    assert 0.0 <= oldest_unsealed_age_seconds() < 60
    status = audit_seal_status()
    assert status.unsealed_events == 1
    assert status.tree_size == 0
    audit_seal()
    assert oldest_unsealed_age_seconds() == 0.0
    assert audit_seal_status().tree_size == 1


@pytest.mark.postgres
def test_postgres_refuses_update_delete_and_truncate_of_the_log_tables():
    event = record(1)[0]
    audit_seal()
    for statement, params in (
        ("UPDATE audit_auditevent SET action = 'b' WHERE id = %s", [event.pk]),
        ("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]),
        ("UPDATE audit_auditleaf SET log_index = 7", []),
        ("DELETE FROM audit_auditleaf", []),
        ("UPDATE audit_auditcheckpoint SET tree_size = 9", []),
        ("DELETE FROM audit_auditcheckpoint", []),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    assert AuditEvent.objects.get(pk=event.pk).action == "x.read"
    assert AuditLeaf.objects.count() == 1
    assert AuditCheckpoint.objects.count() == 1


def test_events_cannot_be_saved_twice():
    event = audit_record(action="a", resource_type="t")
    event.action = "b"
    with pytest.raises(RuntimeError):
        event.save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_truncate_of_the_log_tables():
    # Committed first: TRUNCATE in the inserting transaction stops earlier, at the pending FK checks.
    record(1)
    audit_seal()
    for table in ("audit_auditevent", "audit_auditleaf", "audit_auditnode", "audit_auditcheckpoint"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 1
    assert AuditLeaf.objects.count() == 1
    assert AuditCheckpoint.objects.count() == 1
