"""The front desk's reads and day: practitioners by name, named appointment rows, one time convention,
booking without ``end``, the check-in window, front-desk notes apart from clinical notes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, AppointmentStatus, SchedulingSettings
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
LIST = reverse("appointment-list")


def practitioners_url(clinic):
    return reverse("clinic-practitioners", args=[clinic.pk])


def action_url(appointment, name):
    return reverse(f"appointment-{name}", args=[appointment.pk])


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker")


# --- practitioners ---------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_practitioners_by_name_without_emails(as_user, clinic, role):
    doctor = clinic.staff[Role.PRACTITIONER]
    doctor.full_name = "Dr. Ada Lovelace"
    doctor.save()
    response = as_user(clinic.staff[role]).get(practitioners_url(clinic))
    assert response.status_code == 200, response.data
    assert response.data["results"] == [{"id": str(doctor.pk), "name": "Dr. Ada Lovelace", "active": True}]
    assert doctor.email not in response.content.decode()


def test_practitioners_of_another_clinic_are_404_and_anonymous_401(api, as_user, clinic, other_clinic):
    assert api.get(practitioners_url(clinic)).status_code == 401
    assert as_user(other_clinic.staff[Role.OWNER]).get(practitioners_url(clinic)).status_code == 404


def test_practitioners_search_by_name_and_a_constant_number_of_queries(as_user, clinic):
    for n in range(5):
        MembershipFactory(clinic=clinic, role=Role.PRACTITIONER, user__full_name=f"Dr. Smith {n}")
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    with CaptureQueriesContext(connection) as few:
        assert client.get(practitioners_url(clinic), {"search": "smith 1"}).data["results"][0]["name"] == "Dr. Smith 1"
    for n in range(20):
        MembershipFactory(clinic=clinic, role=Role.PRACTITIONER, user__full_name=f"Dr. Jones {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(practitioners_url(clinic), {"page_size": 50})
    assert len(response.data["results"]) == 26
    assert len(many) == len(few)


# --- appointment rows -------------------------------------------------------------


def test_rows_name_the_patient_and_practitioner_with_a_constant_number_of_queries(as_user, clinic, practitioner):
    practitioner.full_name = "Dr. Ada Lovelace"
    practitioner.save()
    client = as_user(clinic.staff[Role.RECEPTIONIST])

    def book(n):
        start = timezone.now() + timedelta(days=3)
        for _ in range(n):
            at = start + timedelta(minutes=30 * Appointment.objects.count())
            AppointmentFactory(clinic=clinic, practitioner=practitioner, start=at)

    book(20)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(LIST, {"page_size": 20}).data["results"]
    book(180)
    with CaptureQueriesContext(connection) as two_hundred:
        big = client.get(LIST, {"page_size": 200}).data["results"]
    assert (len(page), len(big)) == (20, 200)
    assert len(twenty) == len(two_hundred)
    row = big[0]
    patient = Appointment.objects.select_related("patient").get(pk=row["id"]).patient
    assert row["patient"] == {
        "id": str(patient.pk),
        "name": f"{patient.given_name} {patient.family_name}",
        "mrn": patient.mrn,
    }
    assert row["practitioner"] == {"id": str(practitioner.pk), "name": "Dr. Ada Lovelace"}


def test_every_instant_is_in_the_clinics_offset_and_any_offset_is_accepted(as_user, clinic, patient, practitioner):
    start = local_at(clinic, days_ahead(7), "10:00")
    body = {
        "clinic": str(clinic.pk),
        "patient": str(patient.pk),
        "practitioner": str(practitioner.pk),
        "start": start.astimezone(ZoneInfo("America/New_York")).isoformat(),  # the same instant, another offset
    }
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, body)
    assert response.status_code == 201, response.data
    offset = start.strftime("%z")
    expected_offset = f"{offset[:3]}:{offset[3:]}"
    assert response.data["time_zone"] == "Europe/Berlin"
    assert response.data["start"] == start.isoformat()
    for name in ("start", "end", "created_at", "updated_at"):
        assert response.data[name].endswith(expected_offset) or name in ("created_at", "updated_at")
        assert datetime.fromisoformat(response.data[name]).tzinfo is not None
    now_offset = timezone.now().astimezone(ZoneInfo("Europe/Berlin")).strftime("%z")
    assert response.data["created_at"].endswith(f"{now_offset[:3]}:{now_offset[3:]}")


def test_booking_without_end_lasts_the_availability_slot(as_user, clinic, patient, practitioner):
    start = local_at(clinic, days_ahead(7), "10:00")
    body = {"clinic": str(clinic.pk), "patient": str(patient.pk), "practitioner": str(practitioner.pk)}
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, {**body, "start": start.isoformat()})
    assert response.status_code == 201, response.data
    assert datetime.fromisoformat(response.data["end"]) == start + timedelta(minutes=30)
    # Outside availability there is no slot to take the length from: 400 on end, nothing written.
    late = local_at(clinic, days_ahead(8), "20:00")
    refused = as_user(clinic.staff[Role.OWNER]).post(
        LIST, {**body, "start": late.isoformat(), "override_availability_reason": "evening"}
    )
    assert refused.status_code == 400
    assert "end" in refused.data["fields"]
    assert Appointment.objects.count() == 1


# --- check-in window --------------------------------------------------------------


def test_check_in_opens_two_hours_before_and_closes_at_the_end_of_the_day(as_user, clinic, practitioner):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    now = timezone.now()
    too_early = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=now + timedelta(hours=2, minutes=10))
    refused = client.post(action_url(too_early, "check-in"))
    assert refused.status_code == 409
    assert refused.data["code"] == "check_in_window"
    assert Appointment.objects.get(pk=too_early.pk).status == AppointmentStatus.BOOKED
    soon = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=now + timedelta(hours=1))
    assert client.post(action_url(soon, "check-in")).status_code == 200
    yesterday = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=now - timedelta(days=1, hours=1))
    assert client.post(action_url(yesterday, "check-in")).data["code"] == "check_in_window"
    assert Appointment.objects.get(pk=yesterday.pk).checked_in_at is None


def test_the_check_in_lead_time_is_the_clinics_setting(as_user, clinic, practitioner):
    SchedulingSettings.objects.create(clinic=clinic, check_in_opens_minutes=240)
    start = timezone.now() + timedelta(hours=3)
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start)
    assert as_user(clinic.staff[Role.RECEPTIONIST]).post(action_url(appointment, "check-in")).status_code == 200


# --- notes ------------------------------------------------------------------------


def test_clinical_notes_are_hidden_from_the_front_desk_and_billing(as_user, clinic, practitioner):
    appointment = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, notes="suspected fracture", front_desk_note="bring X-rays"
    )
    for role, sees_notes in ((Role.RECEPTIONIST, False), (Role.BILLING, False), (Role.PRACTITIONER, True)):
        row = as_user(clinic.staff[role]).get(reverse("appointment-detail", args=[appointment.pk])).data
        assert row["front_desk_note"] == "bring X-rays"
        assert row["notes"] == ("suspected fracture" if sees_notes else None)
        listed = as_user(clinic.staff[role]).get(LIST).data["results"][0]
        assert "suspected fracture" not in str(listed) or sees_notes


def test_the_front_desk_writes_front_desk_notes_not_clinical_notes(as_user, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    url = reverse("appointment-detail", args=[appointment.pk])
    assert client.patch(url, {"notes": "diagnosis"}).status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).notes == ""
    assert client.patch(url, {"front_desk_note": "wheelchair"}).data["front_desk_note"] == "wheelchair"


def test_the_backfill_copies_front_desk_remarks_only(clinic, practitioner):
    from importlib import import_module

    backfill = import_module("apps.scheduling.migrations.0004_backfill_front_desk_note").backfill
    by_desk = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, notes="late", created_by=clinic.staff[Role.RECEPTIONIST]
    )
    by_doctor = AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner,
        notes="clinical",
        created_by=practitioner,
        start=timezone.now() + timedelta(days=5),
    )
    backfill(django_apps, None)
    by_desk.refresh_from_db()
    by_doctor.refresh_from_db()
    assert (by_desk.front_desk_note, by_desk.notes) == ("late", "late")
    assert (by_doctor.front_desk_note, by_doctor.notes) == ("", "clinical")


# --- a receptionist's day ---------------------------------------------------------


def _zone_where_it_is_nine_now() -> str:
    """A fixed-offset zone where the local time is now 09:xx, so the day has slots before and after."""
    offset = (9 - timezone.now().hour + 12) % 24 - 12  # in -12..11
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


def test_a_receptionists_day(as_user, clinic, patient, practitioner):
    clinic.time_zone = _zone_where_it_is_nine_now()  # the practitioner works 08:00-18:00 local
    clinic.save()
    practitioner.full_name = "Dr. Grace Hopper"
    practitioner.save()
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    found = client.get(practitioners_url(clinic), {"search": "hopper"}).data["results"]
    assert [p["name"] for p in found] == ["Dr. Grace Hopper"]
    doctor_id = found[0]["id"]
    today = timezone.now().astimezone(ZoneInfo(clinic.time_zone)).date()
    slots = client.get(
        reverse("slot-list"),
        {"clinic": str(clinic.pk), "practitioner": doctor_id, "date_from": str(today), "date_to": str(today)},
    ).data
    assert slots["time_zone"] == clinic.time_zone
    now = timezone.now()
    # the first slot starting within the check-in window, and one beyond it
    soon = next(s for s in slots["results"] if datetime.fromisoformat(s["start"]) > now + timedelta(minutes=5))
    later = next(s for s in slots["results"] if datetime.fromisoformat(s["start"]) > now + timedelta(hours=3))
    base = {"clinic": str(clinic.pk), "patient": str(patient.pk), "practitioner": doctor_id}
    visit = client.post(LIST, {**base, "start": soon["start"], "front_desk_note": "new patient"})
    assert visit.status_code == 201, visit.data
    assert visit.data["end"] == soon["end"]
    assert visit.data["patient"]["name"] == "Jennifer Becker"
    assert visit.data["practitioner"]["name"] == "Dr. Grace Hopper"
    other = PatientFactory(clinic=clinic)
    future = client.post(LIST, {**base, "patient": str(other.pk), "start": later["start"]})
    assert future.status_code == 201, future.data
    assert client.post(reverse("appointment-check-in", args=[future.data["id"]])).data["code"] == "check_in_window"
    assert client.post(reverse("appointment-check-in", args=[visit.data["id"]])).data["status"] == "checked_in"
    done = client.post(reverse("appointment-complete", args=[visit.data["id"]]))
    assert done.data["status"] == "completed"
    assert Appointment.objects.get(pk=future.data["id"]).status == AppointmentStatus.BOOKED
