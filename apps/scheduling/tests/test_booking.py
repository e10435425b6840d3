"""Booking: stored in UTC and audited, bad input, overlaps (practitioner, patient, across clinics, the
database's own guard), availability and days off.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.tests.factories import AppointmentFactory, booking, days_ahead, local_at

pytestmark = pytest.mark.django_db
LIST = reverse("appointment-list")


def test_a_booking_is_stored_in_utc_and_audited(as_user, clinic, patient, practitioner):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    response = as_user(clinic.staff[role]).post(LIST, booking(clinic, patient, practitioner))
    assert response.status_code == 201, response.data
    appointment = Appointment.objects.get()
    assert (appointment.status, appointment.created_by) == (AppointmentStatus.BOOKED, clinic.staff[role])
    assert response.data["start"] == local_at(clinic, days_ahead(7), "10:00").isoformat()  # the clinic's offset
    assert AuditEvent.objects.filter(action="appointment.book", resource_id=str(appointment.pk)).exists()


def _bad_inputs(clinic, other_clinic, patient, practitioner):
    day = days_ahead(7)
    start = local_at(clinic, day, "10:00")
    yield (
        "end before start",
        booking(clinic, patient, practitioner, end=(start - timedelta(hours=1)).isoformat()),
        "end",
    )
    yield "end equals start", booking(clinic, patient, practitioner, end=start.isoformat()), "end"
    yield (
        "30-day appointment",
        booking(clinic, patient, practitioner, end=(start + timedelta(days=30)).isoformat()),
        "end",
    )
    yield (
        "unknown patient",
        booking(clinic, patient, practitioner, patient="00000000-0000-7000-8000-000000000000"),
        "patient",
    )
    yield "other clinic's patient", booking(clinic, PatientFactory(clinic=other_clinic), practitioner), "patient"
    yield "patient not a uuid", booking(clinic, patient, practitioner, patient="42"), "patient"
    yield "not a practitioner", booking(clinic, patient, clinic.staff[Role.RECEPTIONIST]), "practitioner"
    yield "other clinic's practitioner", booking(clinic, patient, other_clinic.staff[Role.PRACTITIONER]), "practitioner"
    yield "naive start", booking(clinic, patient, practitioner, start="2030-01-01T10:00:00"), "start"
    yield "garbage start", booking(clinic, patient, practitioner, start="tomorrow"), "start"
    past = timezone.now() - timedelta(days=1)
    yield (
        "in the past",
        booking(clinic, patient, practitioner, start=past.isoformat(), end=(past + timedelta(minutes=30)).isoformat()),
        "start",
    )
    yield "unknown field", booking(clinic, patient, practitioner, status="completed"), "status"
    yield "control characters", booking(clinic, patient, practitioner, reason="a\x00b"), "reason"


def test_bad_input_is_400_and_writes_nothing(as_user, clinic, other_clinic, patient, practitioner):
    client = as_user(clinic.staff[Role.OWNER])
    for label, body, field in _bad_inputs(clinic, other_clinic, patient, practitioner):
        response = client.post(LIST, body)
        assert response.status_code == 400, (label, response.data)
        assert field in response.data["fields"], (label, response.data)
    assert not Appointment.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="appointment.").exists()


def test_an_archived_patient_cannot_be_booked(as_user, clinic, practitioner):
    archived = PatientFactory(clinic=clinic, active=False)
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, booking(clinic, archived, practitioner))
    assert response.status_code == 400
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("start", "minutes", "status", "code"),
    [
        ("09:30", 30, 201, None),  # ends as the existing one starts: touching is fine
        ("10:30", 30, 201, None),  # starts as the existing one ends
        ("10:00", 30, 409, "slot_taken"),  # same slot
        ("09:45", 30, 409, "slot_taken"),  # overlaps the start
        ("10:15", 30, 409, "slot_taken"),  # overlaps the end
        ("10:10", 10, 409, "slot_taken"),  # inside
        ("09:30", 90, 409, "slot_taken"),  # around
        ("10:29", 30, 409, "slot_taken"),  # one minute of overlap
    ],
)
def test_overlapping_a_practitioners_appointment_is_409(
    as_user, clinic, patient, practitioner, start, minutes, status, code
):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    assert client.post(LIST, booking(clinic, patient, practitioner, "10:00", 30)).status_code == 201
    other_patient = PatientFactory(clinic=clinic)
    response = client.post(LIST, booking(clinic, other_patient, practitioner, start, minutes))
    assert response.status_code == status, response.data
    if code:
        assert response.data["code"] == code
        assert Appointment.objects.count() == 1


def test_the_same_patient_cannot_hold_two_overlapping_appointments(
    as_user, clinic, patient, practitioner, second_practitioner
):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    assert client.post(LIST, booking(clinic, patient, practitioner, "10:00", 30)).status_code == 201
    response = client.post(LIST, booking(clinic, patient, second_practitioner, "10:15", 30))
    assert response.status_code == 409
    assert response.data["code"] == "patient_busy"
    assert client.post(LIST, booking(clinic, patient, second_practitioner, "10:30", 30)).status_code == 201


def test_cancelled_and_finished_appointments_free_their_time(as_user, clinic, patient, practitioner):
    start = local_at(clinic, days_ahead(7), "10:00")
    for status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW, AppointmentStatus.COMPLETED):
        AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start, status=status)
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, booking(clinic, patient, practitioner, "10:00"))
    assert response.status_code == 201, response.data


def test_a_practitioner_is_not_double_booked_across_clinics(as_user, clinic, other_clinic, patient, practitioner):
    from apps.clinics.tests.factories import MembershipFactory

    MembershipFactory(clinic=other_clinic, user=practitioner, role=Role.PRACTITIONER)
    AppointmentFactory(clinic=other_clinic, practitioner=practitioner, start=local_at(clinic, days_ahead(7), "10:00"))
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, booking(clinic, patient, practitioner, "10:00"))
    assert response.status_code == 409
    assert response.data["code"] == "slot_taken"


@pytest.mark.postgres
def test_postgres_itself_refuses_overlaps_that_skip_the_service(clinic, patient, practitioner, second_practitioner):
    from django.db import IntegrityError, transaction

    start = local_at(clinic, days_ahead(7), "10:00")
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start)
    with pytest.raises(IntegrityError, match="sched_appt_practitioner_no_overlap"), transaction.atomic():
        AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start + timedelta(minutes=29))
    AppointmentFactory(clinic=clinic, patient=patient, practitioner=practitioner, start=start - timedelta(hours=2))
    with pytest.raises(IntegrityError, match="sched_appt_patient_no_overlap"), transaction.atomic():
        AppointmentFactory(
            clinic=clinic,
            patient=patient,
            practitioner=second_practitioner,
            start=start - timedelta(hours=2, minutes=10),
        )
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start + timedelta(minutes=30))  # touching
    assert Appointment.objects.count() == 3


@pytest.mark.postgres
def test_a_constraint_violation_is_a_409_and_leaves_the_request_clean(
    as_user, clinic, patient, practitioner, monkeypatch
):
    """If the service check is beaten by a concurrent booking, the database's refusal still reads slot_taken."""
    from apps.scheduling import services

    monkeypatch.setattr(services.appointments, "_check_overlaps", lambda **kwargs: None)
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, days_ahead(7), "10:00"))
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, booking(clinic, patient, practitioner, "10:10"))
    assert response.status_code == 409
    assert response.data["code"] == "slot_taken"
    assert Appointment.objects.count() == 1
    assert not AuditEvent.objects.filter(action="appointment.book").exists()


def test_booking_outside_availability_is_409_unless_overridden_by_an_allowed_role(
    as_user, clinic, patient, practitioner
):
    late = booking(clinic, patient, practitioner, "19:00")
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, late)
    assert response.status_code == 409
    assert response.data["code"] == "outside_availability"
    forced = {**late, "override_availability_reason": "Urgent"}
    assert as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, forced).status_code == 403
    assert not Appointment.objects.exists()
    response = as_user(clinic.staff[Role.ADMIN]).post(LIST, forced)
    assert response.status_code == 201, response.data
    assert response.data["outside_availability"] is True
    event = AuditEvent.objects.get(action="appointment.availability_override")
    assert event.changes == {"reason": "Urgent"}


def test_a_day_off_makes_the_practitioner_unavailable(as_user, clinic, patient, practitioner):
    from apps.scheduling.models import AvailabilityException

    AvailabilityException.objects.create(
        clinic=clinic, practitioner=practitioner, date=days_ahead(7), kind="unavailable"
    )
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, booking(clinic, patient, practitioner))
    assert response.status_code == 409
    assert response.data["code"] == "outside_availability"
