"""The waitlist API: entries, the front desk's day, confirming and declining offers; reads audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment
from apps.scheduling.tests.factories import days_ahead, local_at
from apps.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from apps.waitlist.offering import offer_freed_time
from apps.waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db

DAY = 3


@pytest.fixture
def desk(as_user, clinic):
    return as_user(clinic.staff["receptionist"])


def entry_body(clinic, **extra):
    return {
        "clinic": str(clinic.pk),
        "patient": str(PatientFactory(clinic=clinic).pk),
        "date_from": days_ahead(1).isoformat(),
        "date_to": days_ahead(20).isoformat(),
        **extra,
    }


def offer_for(clinic, practitioner, **entry_fields):
    waiting = WaitlistEntryFactory(clinic=clinic, **entry_fields)
    start = local_at(clinic, days_ahead(DAY), "10:00")
    offers = offer_freed_time(
        clinic_id=clinic.pk, practitioner_id=practitioner.pk, start=start, end=start + timedelta(minutes=30)
    )
    assert [o.entry_id for o in offers] == [waiting.pk]
    return offers[0]


def test_the_front_desk_puts_a_patient_on_the_waitlist(desk, clinic, practitioner):
    body = entry_body(
        clinic,
        practitioner=str(practitioner.pk),
        weekdays=[4, 0, 0],
        earliest_time="08:30",
        latest_time="12:00",
        note="Prefers mornings",
        priority=2,
    )
    response = desk.post("/api/v1/waitlist/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["patient"]["id"] == body["patient"]
    assert data["patient"]["mrn"]
    assert data["practitioner"]["id"] == str(practitioner.pk)
    assert (data["weekdays"], data["earliest_time"], data["priority"], data["status"]) == (
        [0, 4],
        "08:30:00",
        2,
        "waiting",
    )
    assert data["time_zone"] == clinic.time_zone
    assert AuditEvent.objects.filter(action="waitlist_entry.create", resource_id=data["id"]).exists()


def test_any_practitioner_is_null(desk, clinic):
    data = desk.post("/api/v1/waitlist/", entry_body(clinic), format="json").json()
    assert data["practitioner"] is None


def test_a_second_waiting_entry_for_the_same_patient_and_practitioner_is_409(desk, clinic):
    body = entry_body(clinic)
    assert desk.post("/api/v1/waitlist/", body, format="json").status_code == 201
    response = desk.post("/api/v1/waitlist/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_waiting")
    assert WaitlistEntry.objects.count() == 1


def test_list_is_in_offer_order_and_audited_with_the_patients(desk, clinic):
    low = WaitlistEntryFactory(clinic=clinic, priority=0)
    high = WaitlistEntryFactory(clinic=clinic, priority=2)
    response = desk.get("/api/v1/waitlist/", {"clinic": str(clinic.pk)})
    assert [row["id"] for row in response.json()["results"]] == [str(high.pk), str(low.pk)]
    event = AuditEvent.objects.get(action="waitlist_entry.list")
    assert set(event.changes["patients"]) == {str(low.patient_id), str(high.patient_id)}


def test_change_and_remove_an_entry(desk, clinic):
    waiting = WaitlistEntryFactory(clinic=clinic)
    response = desk.patch(f"/api/v1/waitlist/{waiting.pk}/", {"priority": 1, "note": "Any time"}, format="json")
    assert (response.status_code, response.json()["priority"]) == (200, 1)
    response = desk.post(f"/api/v1/waitlist/{waiting.pk}/remove/")
    assert response.json()["status"] == "removed"
    response = desk.post(f"/api/v1/waitlist/{waiting.pk}/remove/")
    assert (response.status_code, response.json()["code"]) == (409, "entry_not_waiting")


def test_confirming_an_offer_books_the_slot_through_the_booking_service(desk, clinic, practitioner):
    offer = offer_for(clinic, practitioner, note="Call before noon")
    response = desk.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/")
    assert response.status_code == 200, response.content
    data = response.json()
    appointment = Appointment.objects.get()
    assert (data["status"], data["appointment"]) == ("confirmed", str(appointment.pk))
    assert (appointment.start, appointment.end, appointment.practitioner_id) == (
        offer.start,
        offer.end,
        practitioner.pk,
    )
    assert appointment.patient_id == offer.entry.patient_id
    assert appointment.front_desk_note == "Call before noon"
    offer.entry.refresh_from_db()
    assert (offer.entry.status, offer.entry.appointment_id) == (EntryStatus.BOOKED, appointment.pk)
    assert AuditEvent.objects.filter(action="appointment.book", resource_id=str(appointment.pk)).exists()


def test_an_offer_confirmed_twice_answers_409_and_writes_nothing(desk, clinic, practitioner):
    offer = offer_for(clinic, practitioner)
    assert desk.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/").status_code == 200
    before = (Appointment.objects.count(), AuditEvent.objects.count(), WaitlistOffer.objects.get().updated_at)
    response = desk.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/")
    assert response.status_code == 409
    assert response.json()["code"] == "offer_not_pending"
    assert (Appointment.objects.count(), AuditEvent.objects.count(), WaitlistOffer.objects.get().updated_at) == before
    assert desk.post(f"/api/v1/waitlist-offers/{offer.pk}/decline/").status_code == 409


def test_an_expired_offer_cannot_be_confirmed(desk, clinic, practitioner):
    offer = offer_for(clinic, practitioner)
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = desk.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/")
    assert (response.status_code, response.json()["code"]) == (409, "offer_expired")
    assert not Appointment.objects.exists()


def test_a_slot_booked_meanwhile_answers_409_slot_taken_and_the_offer_stays(desk, clinic, practitioner):
    from apps.scheduling.tests.factories import AppointmentFactory

    offer = offer_for(clinic, practitioner)
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=offer.start)  # a walk-in booked directly
    response = desk.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/")
    assert (response.status_code, response.json()["code"]) == (409, "slot_taken")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.PENDING


def test_declining_passes_the_slot_on(desk, clinic, practitioner):
    offer = offer_for(clinic, practitioner, priority=2)
    nxt = WaitlistEntryFactory(clinic=clinic)
    response = desk.post(f"/api/v1/waitlist-offers/{offer.pk}/decline/")
    assert response.json()["status"] == "declined"
    assert WaitlistOffer.objects.get(entry=nxt).start == offer.start


def test_reading_an_offer_is_audited(desk, clinic, practitioner):
    offer = offer_for(clinic, practitioner)
    data = desk.get(f"/api/v1/waitlist-offers/{offer.pk}/").json()
    assert data["patient"]["id"] == str(offer.entry.patient_id)
    assert data["practitioner"]["id"] == str(practitioner.pk)
    event = AuditEvent.objects.get(action="waitlist_offer.read")
    assert event.changes["patient"] == str(offer.entry.patient_id)


def test_billing_sees_no_waitlist(as_user, clinic):
    waiting = WaitlistEntryFactory(clinic=clinic)
    billing = as_user(clinic.staff["billing"])
    assert billing.get("/api/v1/waitlist/", {"clinic": str(clinic.pk)}).status_code == 403
    assert billing.get(f"/api/v1/waitlist/{waiting.pk}/").status_code == 404
    assert billing.get("/api/v1/waitlist/day/", {"clinic": str(clinic.pk), "date": days_ahead(1)}).status_code == 403


def test_practitioners_read_but_do_not_write(as_user, clinic):
    waiting = WaitlistEntryFactory(clinic=clinic)
    practitioner = as_user(clinic.staff["practitioner"])
    assert practitioner.get(f"/api/v1/waitlist/{waiting.pk}/").status_code == 200
    assert practitioner.post(f"/api/v1/waitlist/{waiting.pk}/remove/").status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == EntryStatus.WAITING


def test_another_clinics_entry_is_404(as_user, clinic, other_clinic):
    theirs = WaitlistEntryFactory(clinic=other_clinic)
    assert as_user(clinic.staff["owner"]).get(f"/api/v1/waitlist/{theirs.pk}/").status_code == 404
