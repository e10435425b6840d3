"""The audit chain: appends link by hash, tampering is found, rows cannot be changed."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import GENESIS_HASH, AuditEvent
from apps.audit.selectors import audit_chain_first_broken_link
from apps.audit.services import AuditEntry, audit_record, audit_record_many, mask_changes
from apps.audit.tasks import verify_audit_chain

pytestmark = pytest.mark.django_db


def test_events_chain_by_hash(clinic):
    first = audit_record(action="a", resource_type="t", resource_id="1", clinic_id=clinic.pk)
    batch = audit_record_many([AuditEntry(action="b", resource_type="t", resource_id=str(n)) for n in range(3)])
    assert first.prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in batch] == [first.hash, batch[0].hash, batch[1].hash]
    assert audit_chain_first_broken_link() is None
    assert verify_audit_chain() is None


def test_a_changed_row_is_the_first_broken_link(clinic):
    events = audit_record_many([AuditEntry(action="x", resource_type="t", resource_id=str(n)) for n in range(4)])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser forging a row: replica mode skips the append-only trigger.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET resource_id = 'forged' WHERE id = %s", [events[2].pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
    assert audit_chain_first_broken_link() == events[2].pk
    assert verify_audit_chain() == events[2].pk


def test_events_cannot_be_saved_twice():
    event = audit_record(action="a", resource_type="t")
    event.action = "b"
    with pytest.raises(RuntimeError):
        event.save()


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_rows():
    event = audit_record(action="a", resource_type="t")
    for statement in (
        "UPDATE audit_auditevent SET action = 'b' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "a"


def test_mask_changes_hides_sensitive_values():
    assert mask_changes({"phone": "+4912345", "active": False}, sensitive={"phone"}) == {
        "phone": "***",
        "active": False,
    }
