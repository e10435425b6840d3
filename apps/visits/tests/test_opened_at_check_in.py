"""Issue 14: a visit record is opened at check-in (apps.scheduling.hooks), owned by the practitioner."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus
from apps.scheduling.tests.factories import AppointmentFactory
from apps.visits.models import Visit, VisitStatus
from apps.visits.tests.factories import open_visit

pytestmark = pytest.mark.django_db
LIST = reverse("visit-list")


def booked_soon(clinic):
    start = timezone.now() + timedelta(hours=1)  # inside the default two-hour check-in window
    return AppointmentFactory(
        clinic=clinic,
        practitioner=clinic.staff[Role.PRACTITIONER],
        status=AppointmentStatus.BOOKED,
        start=start,
        end=start + timedelta(minutes=30),
    )


def check_in(as_user, clinic, appointment):
    return as_user(clinic.staff[Role.RECEPTIONIST]).post(reverse("appointment-check-in", args=[appointment.pk]))


def test_the_front_desk_checking_in_opens_the_practitioners_empty_record(as_user, clinic):
    appointment = booked_soon(clinic)
    assert check_in(as_user, clinic, appointment).status_code == 200
    visit = Visit.objects.get(appointment=appointment)
    assert (visit.practitioner_id, visit.patient_id, visit.clinic_id) == (
        appointment.practitioner_id,
        appointment.patient_id,
        clinic.pk,
    )
    assert (visit.status, visit.note, visit.diagnosis_codes, visit.services.count()) == (VisitStatus.OPEN, "", [], 0)
    event = AuditEvent.objects.get(action="visit.open", resource_id=str(visit.pk))
    assert event.actor_id == clinic.staff[Role.RECEPTIONIST].pk
    assert event.changes == {"appointment": str(appointment.pk), "opened_at": "check_in"}
    # The receptionist opened it but still reads no clinical record.
    assert as_user(clinic.staff[Role.RECEPTIONIST]).get(LIST).data["results"] == []


def test_the_practitioners_first_write_fills_the_record_check_in_opened(as_user, clinic):
    appointment = booked_soon(clinic)
    check_in(as_user, clinic, appointment)
    client = as_user(clinic.staff[Role.PRACTITIONER])
    first = client.post(LIST, {"appointment": str(appointment.pk), "note": "Cough, 3 days."}, format="json")
    assert (first.status_code, first.data["note"]) == (200, "Cough, 3 days.")
    # A record already written is returned unchanged: a second open never overwrites a note.
    second = client.post(LIST, {"appointment": str(appointment.pk), "note": "Other text"}, format="json")
    assert (second.status_code, second.data["note"]) == (200, "Cough, 3 days.")
    assert Visit.objects.filter(appointment=appointment).count() == 1


def test_a_record_opened_before_check_in_is_kept_as_it_is(as_user, clinic):
    visit = open_visit(clinic)  # the practitioner wrote first; the appointment is then checked in
    appointment = visit.appointment
    appointment.status = AppointmentStatus.BOOKED
    appointment.start = timezone.now() + timedelta(minutes=30)
    appointment.end = appointment.start + timedelta(minutes=30)
    appointment.save()
    assert check_in(as_user, clinic, appointment).status_code == 200
    assert list(Visit.objects.filter(appointment=appointment).values_list("pk", "note")) == [
        (visit.pk, "Sore throat, no fever.")
    ]
    assert not AuditEvent.objects.filter(action="visit.open", changes__opened_at="check_in").exists()


def test_a_check_in_refused_by_its_window_opens_nothing(as_user, clinic):
    appointment = booked_soon(clinic)
    appointment.start = timezone.now() + timedelta(days=2)
    appointment.end = appointment.start + timedelta(minutes=30)
    appointment.save()
    refused = check_in(as_user, clinic, appointment)
    assert (refused.status_code, refused.data["code"]) == (409, "check_in_window")
    assert not Visit.objects.filter(appointment=appointment).exists()
