"""The front desk's day: who waits for it and the offers of its slots, in a constant number of queries."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEvent
from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role
from apps.scheduling.tests.factories import days_ahead, local_at, open_all_week
from apps.waitlist.models import OfferStatus
from apps.waitlist.tests.factories import WaitlistEntryFactory, WaitlistOfferFactory

pytestmark = pytest.mark.django_db

DAY = 3


@pytest.fixture
def desk(as_user, clinic):
    return as_user(clinic.staff["receptionist"])


def fill(clinic, n):
    """``n`` waiting entries and ``n`` offers (each with its own practitioner and patient) on the day."""
    for i in range(n):
        practitioner = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
        WaitlistEntryFactory(clinic=clinic, practitioner=practitioner if i % 2 else None, priority=i % 3)
        start = local_at(clinic, days_ahead(DAY), "09:00") + timedelta(minutes=30 * (i % 10))
        WaitlistOfferFactory(entry=WaitlistEntryFactory(clinic=clinic), practitioner=practitioner, start=start)


def day_queries(desk, clinic):
    with CaptureQueriesContext(connection) as queries:
        response = desk.get("/api/v1/waitlist/day/", {"clinic": str(clinic.pk), "date": days_ahead(DAY).isoformat()})
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def test_a_days_waitlist_costs_the_same_queries_for_3_or_60_entries(desk, clinic):
    fill(clinic, 3)
    small, few = day_queries(desk, clinic)
    fill(clinic, 57)
    large, many = day_queries(desk, clinic)
    # 6 waiting entries for 3 offers' entries + 3 more; then 120 entries (60 hold an offer, all waiting).
    assert (len(small["entries"]), len(small["offers"])) == (6, 3)
    assert (len(large["entries"]), len(large["offers"])) == (120, 60)
    assert few == many, (few, many)
    assert many <= 9  # the token's user, the clinic, entries, offers, and the audit append (at most 5)


def test_the_day_lists_entries_that_fit_it_in_offer_order_and_its_offers(desk, clinic):
    day = days_ahead(DAY)
    practitioner = clinic.staff[Role.PRACTITIONER]
    open_all_week(clinic, practitioner)
    urgent = WaitlistEntryFactory(clinic=clinic, priority=2, weekdays=[day.weekday()])
    routine = WaitlistEntryFactory(clinic=clinic, latest_time=time(12))
    WaitlistEntryFactory(clinic=clinic, weekdays=[(day.weekday() + 1) % 7])  # not that weekday
    WaitlistEntryFactory(clinic=clinic, date_from=days_ahead(DAY + 1))  # not yet
    offer = WaitlistOfferFactory(
        entry=routine, practitioner=practitioner, start=local_at(clinic, day, "10:00"), status=OfferStatus.EXPIRED
    )
    WaitlistOfferFactory(
        entry=urgent, practitioner=practitioner, start=local_at(clinic, days_ahead(DAY + 1), "10:00")
    )  # another day

    data, _ = day_queries(desk, clinic)

    assert (data["date"], data["time_zone"]) == (day.isoformat(), clinic.time_zone)
    assert [e["id"] for e in data["entries"]] == [str(urgent.pk), str(routine.pk)]
    assert [(o["id"], o["status"]) for o in data["offers"]] == [(str(offer.pk), "expired")]
    assert data["offers"][0]["start"].endswith(("+01:00", "+02:00"))  # the clinic's offset (Europe/Berlin)
    event = AuditEvent.objects.get(action="waitlist.day_read")
    assert set(event.changes["patients"]) == {str(urgent.patient_id), str(routine.patient_id)}


def test_the_day_needs_a_clinic_and_a_date(desk, clinic):
    assert "clinic" in desk.get("/api/v1/waitlist/day/", {"date": days_ahead(1)}).json()["fields"]
    assert "date" in desk.get("/api/v1/waitlist/day/", {"clinic": str(clinic.pk)}).json()["fields"]


def test_another_clinics_day_is_404(desk, other_clinic):
    response = desk.get("/api/v1/waitlist/day/", {"clinic": str(other_clinic.pk), "date": days_ahead(1)})
    assert response.status_code == 404
