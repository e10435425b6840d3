"""The iCalendar feed (written and parsed by the icalendar package) and the reminder opt-out endpoint."""

from datetime import timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.core.tests.statements import counted
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import AppointmentStatus, ReminderPreference
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
FEED = reverse("appointment-calendar")
PREFERENCES = reverse("reminder-preference-list")


def test_the_feed_is_valid_icalendar_with_crlf_lines(as_user, clinic):
    doctor = clinic.staff[Role.PRACTITIONER]
    clinic.name = "Riverside; Kids, Teens \\ Adults"
    clinic.save()
    booked = AppointmentFactory(clinic=clinic, practitioner=doctor, start=local_at(clinic, days_ahead(3), "09:00"))
    cancelled = AppointmentFactory(
        clinic=clinic,
        practitioner=doctor,
        start=local_at(clinic, days_ahead(4), "09:00"),
        status=AppointmentStatus.CANCELLED,
        sequence=1,
    )
    AppointmentFactory(clinic=clinic, practitioner=clinic.staff[Role.OWNER])  # someone else's
    response = as_user(doctor).get(FEED)  # default: the caller's own
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content.decode()
    assert raw.endswith("\r\n")
    assert "\n" not in raw.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(events) == {str(booked.pk), str(cancelled.pk)}
    event = events[str(booked.pk)]
    assert event.decoded("DTSTART") == booked.start
    assert event.decoded("DTEND") == booked.end
    assert str(event["LOCATION"]) == "Riverside; Kids, Teens \\ Adults"
    assert booked.patient.mrn in str(event["SUMMARY"])
    assert booked.patient.family_name not in raw
    assert str(events[str(cancelled.pk)]["STATUS"]) == "CANCELLED"
    assert int(events[str(cancelled.pk)]["SEQUENCE"]) == 1


def test_the_feed_of_another_practitioner_filters_by_range_and_stays_in_my_clinics(as_user, clinic, other_clinic):
    doctor = clinic.staff[Role.PRACTITIONER]
    soon = AppointmentFactory(clinic=clinic, practitioner=doctor, start=local_at(clinic, days_ahead(3), "09:00"))
    AppointmentFactory(clinic=clinic, practitioner=doctor, start=local_at(clinic, days_ahead(20), "09:00"))
    AppointmentFactory(clinic=other_clinic, patient=PatientFactory(clinic=other_clinic), practitioner=doctor)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    params = {
        "practitioner": str(doctor.pk),
        "clinic": str(clinic.pk),
        "date_from": str(days_ahead(1)),
        "date_to": str(days_ahead(10)),
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.get(FEED, params)
    assert response.status_code == 200
    uids = [str(e["UID"]).split("@")[0] for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")]
    assert uids == [str(soon.pk)]
    assert len(counted(queries)) <= 5
    assert client.get(FEED, {"clinic": str(other_clinic.pk)}).status_code == 404
    assert client.get(FEED, {"date_from": "2020-01-01", "date_to": "2030-01-01"}).status_code == 400
    assert client.get(FEED, {"practitioner": "me"}).status_code == 400


def test_a_client_that_accepts_only_calendars_gets_one(as_user, clinic):
    response = as_user(clinic.staff[Role.PRACTITIONER]).get(FEED, HTTP_ACCEPT="text/calendar")
    assert response.status_code == 200
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


# --- reminder preferences ---------------------------------------------------------


def test_preferences_are_set_changed_and_listed(as_user, clinic):
    """Roles, anonymous and another clinic's patient: tests/test_personas.py."""
    patient = PatientFactory(clinic=clinic)
    body = {"patient": str(patient.pk), "opted_out": True}
    for bad in ({"patient": str(patient.pk)}, {"patient": "x", "opted_out": True}, {**body, "channel": "sms"}):
        assert as_user(clinic.staff[Role.OWNER]).post(PREFERENCES, bad).status_code == 400
    assert as_user(clinic.staff[Role.PRACTITIONER]).post(PREFERENCES, body).status_code == 200
    assert as_user(clinic.staff[Role.RECEPTIONIST]).post(PREFERENCES, {**body, "opted_out": False}).status_code == 200
    assert ReminderPreference.objects.get().opted_out is False
    assert AuditEvent.objects.filter(action="patient.reminder_preference").count() == 2
    listed = as_user(clinic.staff[Role.BILLING]).get(PREFERENCES, {"patient": str(patient.pk)})
    assert [p["opted_out"] for p in listed.data["results"]] == [False]


def test_appointment_bookings_of_a_long_week_list_in_order(as_user, clinic):
    doctor = clinic.staff[Role.PRACTITIONER]
    first = local_at(clinic, days_ahead(2), "08:00")
    made = [
        AppointmentFactory(clinic=clinic, practitioner=doctor, start=first + timedelta(minutes=30 * n))
        for n in range(5)
    ]
    response = as_user(doctor).get(reverse("appointment-list"), {"practitioner": str(doctor.pk), "page_size": 2})
    assert [a["id"] for a in response.data["results"]] == [str(a.pk) for a in made[:2]]
    assert response.data["next"]
