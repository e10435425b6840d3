"""Reschedules and transitions: who changes what, the state machine, reasons, no-shows.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus
from apps.scheduling.tests.factories import AppointmentFactory, appointment_url, days_ahead, local_at

pytestmark = pytest.mark.django_db
LIST = reverse("appointment-list")


def test_reschedule_moves_a_booked_appointment_and_checks_it_again(as_user, clinic, practitioner):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    day = days_ahead(7)
    mine = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, day, "10:00"))
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, day, "11:00"))
    new_start = local_at(clinic, day, "10:30")
    response = client.patch(
        appointment_url(mine), {"start": new_start.isoformat(), "end": (new_start + timedelta(minutes=30)).isoformat()}
    )
    assert response.status_code == 200, response.data
    mine.refresh_from_db()
    assert (mine.start, mine.sequence) == (new_start, 1)
    assert AuditEvent.objects.get(action="appointment.reschedule").changes == {"fields": ["end", "start"]}
    # Into the other appointment: refused, unchanged.
    clash = local_at(clinic, day, "10:45")
    response = client.patch(
        appointment_url(mine), {"start": clash.isoformat(), "end": (clash + timedelta(minutes=30)).isoformat()}
    )
    assert response.status_code == 409
    assert response.data["code"] == "slot_taken"
    # Moving only its end onto itself is not an overlap with itself.
    assert (
        client.patch(appointment_url(mine), {"end": (new_start + timedelta(minutes=20)).isoformat()}).status_code == 200
    )
    assert client.patch(appointment_url(mine), {"start": "nonsense"}).status_code == 400
    assert client.patch(appointment_url(mine), {"status": "completed"}).status_code == 400
    mine.refresh_from_db()
    assert (mine.start, mine.end, mine.status) == (new_start, new_start + timedelta(minutes=20), "booked")


def test_a_practitioner_changes_only_their_own_appointments(as_user, clinic, practitioner, second_practitioner):
    theirs = AppointmentFactory(clinic=clinic, practitioner=second_practitioner)
    soon = timezone.now() + timedelta(hours=1)  # inside the check-in window
    theirs.start, theirs.end = soon, soon + timedelta(minutes=30)
    theirs.save()
    mine = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=soon)
    client = as_user(practitioner)
    assert client.get(appointment_url(theirs)).status_code == 200  # reads the clinic's
    response = client.patch(appointment_url(theirs), {"notes": "mine now"})
    assert response.status_code == 403
    assert response.data["code"] == "not_own_appointments"
    assert client.post(appointment_url(theirs, "check-in")).status_code == 403
    assert client.post(appointment_url(theirs, "cancel"), {"reason": "no"}).status_code == 403
    theirs.refresh_from_db()
    assert (theirs.notes, theirs.status) == ("", AppointmentStatus.BOOKED)
    # Nor hand their own to a colleague.
    assert client.patch(appointment_url(mine), {"practitioner": str(second_practitioner.pk)}).status_code == 403
    assert client.post(appointment_url(mine, "check-in")).status_code == 200


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
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        appointment_url(appointment, action), {"reason": "Patient called"}
    )
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
    assert client.post(appointment_url(appointment, "cancel"), {}).status_code == 400
    assert client.post(appointment_url(appointment, "cancel"), {"reason": "   "}).status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    response = client.post(appointment_url(appointment, "cancel"), {"reason": "Feeling better"})
    assert response.status_code == 200
    assert (response.data["status"], response.data["cancellation_reason"]) == ("cancelled", "Feeling better")
    assert response.data["cancelled_at"] is not None


def test_no_show_only_once_the_appointment_has_started(as_user, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner)  # in two days
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(appointment_url(appointment, "no-show"))
    assert response.status_code == 409
    assert response.data["code"] == "not_started"


def test_a_finished_appointment_cannot_be_rescheduled(as_user, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner, status=AppointmentStatus.COMPLETED)
    start = local_at(clinic, days_ahead(9), "10:00")
    response = as_user(clinic.staff[Role.OWNER]).patch(
        appointment_url(appointment), {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()}
    )
    assert response.status_code == 409
    assert response.data["code"] == "invalid_transition"
