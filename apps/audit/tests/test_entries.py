"""The sealer's bulk entry reader is byte for byte canonical_event on awkward values."""

from datetime import UTC, datetime

import pytest

from apps.audit.entries import pending_entries
from apps.audit.models import AuditEvent
from apps.core.roles import Role

pytestmark = pytest.mark.django_db

AWKWARD = [
    # (at, ip, resource_id, changes)
    (datetime(2026, 12, 1, 9, 30, 0, 0, tzinfo=UTC), None, "plain", {}),
    (datetime(2026, 12, 1, 9, 30, 0, 100000, tzinfo=UTC), "10.0.0.1", 'Müller ☃ "q" \\ \n\t', {"a": 1}),
    (
        datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
        "2001:db8::1",
        "\U0001d518nicode (astral)",
        {"fields": ["phone", "name"]},
    ),
    (
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "::ffff:10.1.2.3",
        "",
        {"z": None, "b": [1, 2.5, 1e20, {"y": "é", "x": False}], "a": {"k": "</script>"}, "ü": "\u2028"},
    ),
]


def test_entries_read_as_text_equal_canonical_event(clinic):
    actor = clinic.staff[Role.OWNER]
    for n, (at, ip, resource_id, changes) in enumerate(AWKWARD):
        AuditEvent.objects.create(
            at=at,
            ip=ip,
            actor=actor if n % 2 else None,
            clinic=clinic if n % 3 else None,
            action="x.read",
            resource_type="thing",
            resource_id=resource_id,
            request_id=f"req-{n}" if n else "",
            changes=changes,
        )
    expected = [(e.pk, e.canonical().encode()) for e in AuditEvent.objects.order_by("id")]  # reread: DB values
    assert len(expected) == len(AWKWARD)
    assert pending_entries(AuditEvent.objects.all(), limit=100) == expected
    assert pending_entries(AuditEvent.objects.all(), limit=2) == expected[:2]
