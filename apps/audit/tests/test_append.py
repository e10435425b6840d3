"""The append path: one INSERT, no lock and no read; inside the caller's transaction when there is one."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.audit.services import AuditEntry, audit_record, audit_record_many, mask_changes
from apps.core import context

pytestmark = pytest.mark.django_db


def test_a_request_s_events_are_one_insert_and_nothing_else(clinic):
    entries = [
        AuditEntry(action="x.read", resource_type="t", resource_id=str(n), clinic_id=clinic.pk) for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        events = audit_record_many(entries)
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert sql.startswith('INSERT INTO "audit_auditevent"')
    assert "advisory" not in sql
    assert [e.resource_id for e in AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id")] == [
        "0",
        "1",
        "2",
    ]


def test_an_append_rolls_back_with_the_callers_write():
    def failed_write() -> None:
        with transaction.atomic():
            audit_record(action="x.create", resource_type="t", resource_id="gone")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failed_write()
    assert not AuditEvent.objects.filter(resource_id="gone").exists()


def test_events_carry_the_request_context_and_new_rows_no_chain_columns():
    token = context.begin(context.RequestContext(request_id="req-1", client_ip="10.0.0.7"))
    try:
        event = audit_record(action="x.read", resource_type="t", changes={"fields": ["phone"]})
    finally:
        context.end(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.request_id, stored.ip, stored.changes) == ("req-1", "10.0.0.7", {"fields": ["phone"]})
    assert stored.event_id == event.event_id
    assert stored.hash is None
    assert stored.prev_hash is None
    if connection.vendor == "postgresql":
        assert stored.txid is not None  # the database's default


def test_no_entries_write_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert audit_record_many([]) == []
    assert len(queries) == 0


def test_many_entries_split_only_by_the_parameter_limit_and_stay_all_or_nothing():
    entries = [AuditEntry(action="x.read", resource_type="t", resource_id=str(n)) for n in range(300)]
    events = audit_record_many(entries)
    assert AuditEvent.objects.count() == 300
    assert len({e.pk for e in events}) == 300


def test_mask_changes_hides_sensitive_values():
    assert mask_changes({"phone": "+4912345", "active": False}, sensitive={"phone"}) == {
        "phone": "***",
        "active": False,
    }
