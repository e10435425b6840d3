"""Tampering as the database superuser (every trigger off) is found, and named, by audit_verify."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit import merkle, signing
from apps.audit.checkpoint_format import SignedCheckpoint
from apps.audit.models import AuditCheckpoint, AuditEvent, AuditLeaf
from apps.audit.sealer import audit_seal
from apps.audit.services import AuditEntry, audit_record_many
from apps.audit.tests.helpers import tamper, write_legacy_chain
from apps.audit.verify import audit_log_verify

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def sealed_log():
    """10 legacy events, then 3 checkpoints over 4 + 5 + 3 events."""
    legacy = write_legacy_chain(10)
    events = []
    for size in (4, 5, 3):
        events += audit_record_many(
            [AuditEntry(action="x.read", resource_type="thing", resource_id=f"r{n}") for n in range(size)]
        )
        audit_seal()
    assert audit_log_verify().ok
    return {"legacy": legacy, "events": events, "published": latest_published()}


def latest_published() -> SignedCheckpoint:
    latest = AuditCheckpoint.objects.order_by("-tree_size").first()
    assert latest is not None
    return latest.signed()


def first_problem(**kwargs):
    report = audit_log_verify(**kwargs)
    assert not report.ok
    return report.first_problem


def test_a_changed_event_is_named(sealed_log):
    target = sealed_log["events"][6]
    tamper("UPDATE audit_auditevent SET resource_id = 'forged' WHERE id = %s", [target.pk])
    problem = first_problem()
    assert problem.kind == "event_changed"
    assert problem.detail == {"log_index": 6, "event": target.pk}


def test_a_changed_event_with_its_leaf_rewritten_breaks_the_root(sealed_log):
    target = sealed_log["events"][2]
    tamper("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [target.pk])
    target.refresh_from_db()
    forged = merkle.leaf_hash(target.canonical().encode())
    tamper("UPDATE audit_auditleaf SET leaf_hash = %s WHERE event_id = %s", [forged, target.pk])
    problem = first_problem()
    assert problem.kind == "root_mismatch"
    assert problem.detail == {"tree_size": 4}


def test_a_deleted_event_is_found(sealed_log):
    target = sealed_log["events"][5]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    problem = first_problem()
    assert problem.kind == "event_missing"
    assert problem.detail == {"log_index": 5}


def test_a_deleted_event_with_the_positions_renumbered_breaks_the_root(sealed_log):
    target = sealed_log["events"][5]
    tamper("DELETE FROM audit_auditleaf WHERE event_id = %s", [target.pk])
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    tamper("UPDATE audit_auditleaf SET log_index = log_index - 1 WHERE log_index > 5")
    problem = first_problem()
    assert problem.kind == "root_mismatch"
    assert problem.detail == {"tree_size": 9}


def test_reordered_events_are_found(sealed_log):
    # Swap two positions (each keeps its event and leaf hash), through a free index.
    tamper("UPDATE audit_auditleaf SET log_index = -1 WHERE log_index = 1")
    tamper("UPDATE audit_auditleaf SET log_index = 1 WHERE log_index = 2")
    tamper("UPDATE audit_auditleaf SET log_index = 2 WHERE log_index = -1")
    problem = first_problem()
    assert problem.kind == "root_mismatch"
    assert problem.detail == {"tree_size": 4}


def test_an_event_inserted_in_the_middle_is_found(sealed_log):
    # Backdated into the sealed range (a txid below the horizon), without a position.
    tamper(
        "INSERT INTO audit_auditevent (event_id, at, action, resource_type, resource_id, request_id, changes, txid) "
        "SELECT gen_random_uuid(), now() - interval '1 day', 'forged', 'thing', 'x', '', '{}', 1"
    )
    problem = first_problem()
    assert problem.kind == "event_inserted_unsealed"


def test_a_leaf_inserted_past_the_last_checkpoint_is_found(sealed_log):
    extra = audit_record_many([AuditEntry(action="x", resource_type="t")])[0]
    tamper("INSERT INTO audit_auditleaf (log_index, event_id, leaf_hash) VALUES (12, %s, %s)", [extra.pk, b"x" * 32])
    assert first_problem().kind == "leaves_past_checkpoint"


def test_a_truncated_table_is_found_from_the_checkpoints(sealed_log):
    tamper("TRUNCATE audit_auditleaf, audit_auditevent CASCADE")
    problem = first_problem()
    assert problem.kind == "legacy_anchor_mismatch"  # the legacy chain is gone too


def test_a_wholly_truncated_log_is_found_from_the_published_checkpoint(sealed_log):
    tamper("TRUNCATE audit_auditleaf, audit_auditnode, audit_auditcheckpoint, audit_auditevent CASCADE")
    assert audit_log_verify().ok  # nothing left to contradict itself...
    problem = first_problem(published=[sealed_log["published"]])
    assert problem.kind == "log_truncated"  # ...but the copy outside the database does
    assert problem.detail == {"published_tree_size": 12, "database_tree_size": 0}


def test_a_removed_tail_is_found_from_the_published_checkpoint(sealed_log):
    tail = sealed_log["events"][9:]
    tamper("DELETE FROM audit_auditcheckpoint WHERE tree_size = 12")
    tamper("DELETE FROM audit_auditnode WHERE index * power(2, level) + power(2, level) > 9")
    tamper("DELETE FROM audit_auditleaf WHERE log_index >= 9")
    tamper("DELETE FROM audit_auditevent WHERE id = ANY(%s)", [[e.pk for e in tail]])
    assert audit_log_verify().ok
    problem = first_problem(published=[sealed_log["published"]])
    assert problem.kind == "log_truncated"
    assert problem.detail == {"published_tree_size": 12, "database_tree_size": 9}


def test_a_removed_legacy_tail_breaks_the_anchor(sealed_log):
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [sealed_log["legacy"][-1].pk])
    assert first_problem().kind == "legacy_anchor_mismatch"


def test_a_forged_checkpoint_signature_is_found(sealed_log):
    tamper(
        "UPDATE audit_auditcheckpoint SET signature = %s WHERE tree_size = 9", [base64.b64encode(b"x" * 64).decode()]
    )
    problem = first_problem()
    assert problem.kind == "checkpoint_signature_invalid"
    assert problem.detail == {"tree_size": 9}


def test_a_rewritten_log_re_signed_with_another_key_is_found(sealed_log, settings):
    # The attacker rewrites an event and re-seals everything, but holds no signing key of ours.
    attacker = Ed25519PrivateKey.generate()
    target = sealed_log["events"][0]
    tamper("UPDATE audit_auditevent SET resource_id = 'forged' WHERE id = %s", [target.pk])
    tamper("DELETE FROM audit_auditcheckpoint")
    tamper("DELETE FROM audit_auditnode")
    tamper("DELETE FROM audit_auditleaf")
    real = settings.AUDIT_SIGNING_KEY
    settings.AUDIT_SIGNING_KEY = base64.b64encode(attacker.private_bytes_raw()).decode()
    audit_seal()
    settings.AUDIT_SIGNING_KEY = real
    assert first_problem().kind == "checkpoint_signature_invalid"


def test_a_checkpoint_field_changed_is_found(sealed_log):
    tamper("UPDATE audit_auditcheckpoint SET root_hash = %s WHERE tree_size = 4", ["0" * 64])
    assert first_problem().kind == "checkpoint_hash_mismatch"


def test_a_rewritten_history_signed_with_a_stolen_key_contradicts_the_published_copy(sealed_log):
    # Key stolen: everything in the database re-signed consistently. Only the copy outside tells.
    target = sealed_log["events"][0]
    tamper("UPDATE audit_auditevent SET resource_id = 'forged' WHERE id = %s", [target.pk])
    tamper("DELETE FROM audit_auditcheckpoint")
    tamper("DELETE FROM audit_auditnode")
    tamper("DELETE FROM audit_auditleaf")
    audit_seal()
    assert audit_log_verify().ok
    problem = first_problem(published=[sealed_log["published"]])
    assert problem.kind in {"published_checkpoint_missing", "published_checkpoint_mismatch"}


def test_audit_verify_command_reports_and_fails(sealed_log, tmp_path, capsys):
    published = tmp_path / "checkpoint.json"
    published.write_text(json.dumps(sealed_log["published"].as_dict()))
    call_command("audit_verify", "--checkpoint", str(published))
    assert "audit log verified" in capsys.readouterr().out
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [sealed_log["events"][11].pk])
    with pytest.raises(CommandError, match="events_missing"):
        call_command("audit_verify", "--checkpoint", str(published))
    assert "MISMATCH events_missing" in capsys.readouterr().out


def test_verify_uses_only_trusted_keys(sealed_log, settings):
    settings.AUDIT_SIGNING_KEY = signing.generate_seed_b64()  # rotated, old key not listed
    assert first_problem().kind == "checkpoint_signature_invalid"
    old = base64.b64encode(signing.public_key_bytes(signing._private_key("").public_key())).decode()
    settings.AUDIT_TRUSTED_PUBLIC_KEYS = [old]
    assert audit_log_verify().ok


def test_unchanged_events_still_verify_against_the_published_checkpoint(sealed_log):
    audit_record_many([AuditEntry(action="x", resource_type="t")])
    audit_seal()
    report = audit_log_verify(published=[sealed_log["published"]])
    assert report.ok, report.problems
    assert report.published == 1
    assert AuditEvent.objects.count() == 23
    assert AuditLeaf.objects.count() == 13


def test_deleted_node_hashes_fail_the_consistency_proof(sealed_log):
    first = AuditCheckpoint.objects.order_by("tree_size").first()
    assert first is not None
    audit_record_many([AuditEntry(action="x", resource_type="t") for _ in range(20)])
    audit_seal()
    tamper("DELETE FROM audit_auditnode")
    problem = first_problem(published=[first.signed()])
    assert problem.kind == "consistency_failed"
