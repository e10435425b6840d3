"""Appointments API: bad input, overlaps, availability, reschedules, transitions, lists.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.core.tests.statements import counted
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
LIST = reverse("appointment-list")


def detail(appointment, action=None):
    if action:
        return reverse(f"appointment-{action}", args=[appointment.pk])
    return reverse("appointment-detail", args=[appointment.pk])


def booking(clinic, for_patient, with_practitioner, at="10:00", minutes=30, day=None, **overrides):
    begin = local_at(clinic, day or days_ahead(7), at)
    body = {
        "clinic": str(clinic.pk),
        "patient": str(for_patient.pk),
        "practitioner": str(with_practitioner.pk),
        "start": begin.isoformat(),
        "end": (begin + timedelta(minutes=minutes)).isoformat(),
        "reason": "Check-up",
    }
    body.update(overrides)
    return body


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic)


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


# --- reading ----------------------------------------------------------------


def test_list_filters(as_user, clinic, practitioner, second_practitioner):
    patient = PatientFactory(clinic=clinic)
    day = days_ahead(7)
    first = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, patient=patient, start=local_at(clinic, day, "09:00")
    )
    second = AppointmentFactory(
        clinic=clinic, practitioner=second_practitioner, start=local_at(clinic, day + timedelta(days=1), "00:30")
    )
    third = AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner,
        start=local_at(clinic, day + timedelta(days=2), "09:00"),
        status=AppointmentStatus.CANCELLED,
    )
    client = as_user(clinic.staff[Role.BILLING])

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.data
        return [a["id"] for a in response.data["results"]]

    assert ids() == [str(first.pk), str(second.pk), str(third.pk)]
    assert ids(practitioner=str(practitioner.pk)) == [str(first.pk), str(third.pk)]
    assert ids(patient=str(patient.pk)) == [str(first.pk)]
    assert ids(status="booked") == [str(first.pk), str(second.pk)]
    assert ids(status="cancelled,no_show") == [str(third.pk)]
    # Dates are local to the clinic asked for: 00:30 local on day+1 is still "day" in UTC.
    assert ids(clinic=str(clinic.pk), date_from=str(day), date_to=str(day)) == [str(first.pk)]
    after = local_at(clinic, day, "12:00").isoformat()
    assert ids(date_from=after) == [str(second.pk), str(third.pk)]
    for bad in ({"status": "done"}, {"date_from": "soon"}, {"date_to": "2026-01-01T10:00"}, {"practitioner": "x"}):
        assert client.get(LIST, bad).status_code == 400, bad


def test_listing_a_week_is_a_constant_number_of_queries(as_user, clinic, practitioner):
    client = as_user(clinic.staff[Role.PRACTITIONER])
    params = {
        "practitioner": str(practitioner.pk),
        "clinic": str(clinic.pk),
        "date_from": str(days_ahead(1)),
        "date_to": str(days_ahead(8)),
        "page_size": 100,
    }

    def count(n):
        Appointment.objects.all().delete()
        for i in range(n):
            AppointmentFactory(
                clinic=clinic,
                practitioner=practitioner,
                start=local_at(clinic, days_ahead(2), "08:00") + timedelta(minutes=30 * i),
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, params)
        assert len(response.data["results"]) == n
        return len(counted(queries))

    assert count(2) == count(40)
    assert count(40) <= 4


# --- changes and transitions -------------------------------------------------


def test_reschedule_moves_a_booked_appointment_and_checks_it_again(as_user, clinic, practitioner):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    day = days_ahead(7)
    mine = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, day, "10:00"))
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, day, "11:00"))
    new_start = local_at(clinic, day, "10:30")
    response = client.patch(
        detail(mine), {"start": new_start.isoformat(), "end": (new_start + timedelta(minutes=30)).isoformat()}
    )
    assert response.status_code == 200, response.data
    mine.refresh_from_db()
    assert (mine.start, mine.sequence) == (new_start, 1)
    assert AuditEvent.objects.get(action="appointment.reschedule").changes == {"fields": ["end", "start"]}
    # Into the other appointment: refused, unchanged.
    clash = local_at(clinic, day, "10:45")
    response = client.patch(
        detail(mine), {"start": clash.isoformat(), "end": (clash + timedelta(minutes=30)).isoformat()}
    )
    assert response.status_code == 409
    assert response.data["code"] == "slot_taken"
    # Moving only its end onto itself is not an overlap with itself.
    assert client.patch(detail(mine), {"end": (new_start + timedelta(minutes=20)).isoformat()}).status_code == 200
    assert client.patch(detail(mine), {"start": "nonsense"}).status_code == 400
    assert client.patch(detail(mine), {"status": "completed"}).status_code == 400
    mine.refresh_from_db()
    assert (mine.start, mine.end, mine.status) == (new_start, new_start + timedelta(minutes=20), "booked")


def test_a_practitioner_changes_only_their_own_appointments(as_user, clinic, practitioner, second_practitioner):
    theirs = AppointmentFactory(clinic=clinic, practitioner=second_practitioner)
    soon = timezone.now() + timedelta(hours=1)  # inside the check-in window
    theirs.start, theirs.end = soon, soon + timedelta(minutes=30)
    theirs.save()
    mine = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=soon)
    client = as_user(practitioner)
    assert client.get(detail(theirs)).status_code == 200  # reads the clinic's
    response = client.patch(detail(theirs), {"notes": "mine now"})
    assert response.status_code == 403
    assert response.data["code"] == "not_own_appointments"
    assert client.post(detail(theirs, "check-in")).status_code == 403
    assert client.post(detail(theirs, "cancel"), {"reason": "no"}).status_code == 403
    theirs.refresh_from_db()
    assert (theirs.notes, theirs.status) == ("", AppointmentStatus.BOOKED)
    # Nor hand their own to a colleague.
    assert client.patch(detail(mine), {"practitioner": str(second_practitioner.pk)}).status_code == 403
    assert client.post(detail(mine, "check-in")).status_code == 200


ALLOWED = {
    ("booked", "check-in"): "checked_in",
    ("checked_in", "complete"): "completed",
    ("booked", "cancel"): "cancelled",
    ("checked_in", "cancel"): "cancelled",
    ("booked", "no-show"): "no_show",
}


@pytest.mark.parametrize("source", [s.value for s in AppointmentStatus])
@pytest.mark.parametrize("action", ["check-in", "complete", "cancel", "no-show"])
def test_transitions(as_user, clinic, practitioner, source, action):
    started = timezone.now() - timedelta(minutes=5)
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner, status=source, start=started)
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(detail(appointment, action), {"reason": "Patient called"})
    appointment.refresh_from_db()
    target = ALLOWED.get((source, action))
    if target:
        assert response.status_code == 200, response.data
        assert appointment.status == target
        assert AuditEvent.objects.filter(action=f"appointment.{action.replace('-', '_')}").exists()
    else:
        assert response.status_code == 409, response.data
        assert response.data["code"] == "invalid_transition"
        assert appointment.status == source


def test_cancel_needs_a_reason_and_records_it(as_user, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    assert client.post(detail(appointment, "cancel"), {}).status_code == 400
    assert client.post(detail(appointment, "cancel"), {"reason": "   "}).status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    response = client.post(detail(appointment, "cancel"), {"reason": "Feeling better"})
    assert response.status_code == 200
    assert (response.data["status"], response.data["cancellation_reason"]) == ("cancelled", "Feeling better")
    assert response.data["cancelled_at"] is not None


def test_no_show_only_once_the_appointment_has_started(as_user, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner)  # in two days
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(detail(appointment, "no-show"))
    assert response.status_code == 409
    assert response.data["code"] == "not_started"


def test_a_finished_appointment_cannot_be_rescheduled(as_user, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner, status=AppointmentStatus.COMPLETED)
    start = local_at(clinic, days_ahead(9), "10:00")
    response = as_user(clinic.staff[Role.OWNER]).patch(
        detail(appointment), {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()}
    )
    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"
