"""Persona entries for availability, slots, appointments, series, calendar feeds, practitioners, preferences.

Practitioners write only their own schedule: the entries name ``write_others``, so the suite gives
a practitioner their own record and also tries a colleague's (403).
"""

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.patients.tests.personas import new_patient_id
from apps.scheduling.models import (
    AppointmentStatus,
    AvailabilityException,
    Notification,
    ReminderPreference,
    SchedulingSettings,
)
from apps.scheduling.services.feeds import calendar_feed_issue
from apps.scheduling.services.series import appointment_series_book
from apps.scheduling.tests.factories import AppointmentFactory, AvailabilityFactory, days_ahead, local_at, open_all_week
from tests.personas import PersonaCase, Target
from tests.personas.expect import SUCCESS

OTHERS = "write_others"


def weekly_hours(target: Target, obj) -> dict:
    return {
        "clinic": str(target.clinic.pk),
        "practitioner": str(target.owner.pk),
        "weekday": 0,
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": 20,
    }


def a_day_off(target: Target, obj) -> dict:
    return {
        "clinic": str(target.clinic.pk),
        "practitioner": str(target.owner.pk),
        "date": days_ahead(20).isoformat(),
        "kind": "unavailable",
    }


def a_booking(target: Target, obj) -> dict:
    open_all_week(target.clinic, target.owner)
    begin = local_at(target.clinic, days_ahead(7), "10:00")
    return {
        "clinic": str(target.clinic.pk),
        "patient": new_patient_id(target.clinic),
        "practitioner": str(target.owner.pk),
        "start": begin.isoformat(),
        "end": (begin + timedelta(minutes=30)).isoformat(),
        "reason": "Check-up",
    }


def an_appointment(status=AppointmentStatus.BOOKED, started=False, soon=False):
    """``soon``: in an hour, inside the check-in window; ``started``: an hour ago; else in two days."""

    def make(target: Target):
        offset = timedelta(hours=-1 if started else 1) if started or soon else timedelta(days=2)
        return AppointmentFactory(
            clinic=target.clinic, practitioner=target.owner, status=status, start=timezone.now() + offset
        )

    return make


def a_series_booking(target: Target, obj) -> dict:
    open_all_week(target.clinic, target.owner)
    return {
        "clinic": str(target.clinic.pk),
        "patient": new_patient_id(target.clinic),
        "practitioner": str(target.owner.pk),
        "start": local_at(target.clinic, days_ahead(7), "10:00").isoformat(),
        "rrule": "FREQ=WEEKLY;COUNT=3",
    }


def a_series(target: Target):
    open_all_week(target.clinic, target.owner)
    return appointment_series_book(
        actor=target.staff(Role.OWNER),
        role=Role.OWNER,
        clinic=target.clinic,
        patient_id=new_patient_id(target.clinic),
        practitioner_id=target.owner.pk,
        start=local_at(target.clinic, days_ahead(14), "14:00"),
        rrule="FREQ=WEEKLY;COUNT=2",
    )


def a_feed(target: Target):
    feed, _ = calendar_feed_issue(
        actor=target.staff(Role.OWNER), role=Role.OWNER, clinic=target.clinic, practitioner_id=target.owner.pk
    )
    return feed


def a_feed_url(target: Target):
    """What a calendar app holds: only the secret of the URL."""
    _, token = calendar_feed_issue(
        actor=target.staff(Role.OWNER), role=Role.OWNER, clinic=target.clinic, practitioner_id=target.owner.pk
    )
    return SimpleNamespace(token=token)


def free_slots_query(target: Target) -> dict:
    open_all_week(target.clinic, target.owner)
    return {
        "practitioner": str(target.owner.pk),
        "date_from": days_ahead(1).isoformat(),
        "date_to": days_ahead(3).isoformat(),
    }


def an_exception(target: Target):
    return AvailabilityException.objects.create(
        clinic=target.clinic, practitioner=target.owner, date=days_ahead(21), kind="unavailable"
    )


def weekly_hours_of_owner(target: Target):
    return AvailabilityFactory(clinic=target.clinic, practitioner=target.owner)


def a_preference(target: Target):
    patient: Any = PatientFactory(clinic=target.clinic)
    return ReminderPreference.objects.create(clinic=target.clinic, patient=patient, opted_out=True)


PERSONAS = {
    "availability-list": PersonaCase(make_object=weekly_hours_of_owner, body=weekly_hours, others=OTHERS),
    "availability-detail": PersonaCase(
        make_object=weekly_hours_of_owner,
        body=lambda target, obj: {"slot_minutes": 15},
        others=OTHERS,
    ),
    "availability-exception-list": PersonaCase(make_object=an_exception, body=a_day_off, others=OTHERS),
    "availability-exception-detail": PersonaCase(make_object=an_exception, others=OTHERS),
    "slot-list": PersonaCase(query=free_slots_query),
    "appointment-list": PersonaCase(make_object=an_appointment(), body=a_booking, others=OTHERS),
    "appointment-calendar": PersonaCase(
        make_object=an_appointment(),
        query=lambda target: {"practitioner": str(target.owner.pk)},
        public_id=lambda appointment: f"UID:{appointment.pk}@",
    ),
    "appointment-detail": PersonaCase(
        make_object=an_appointment(), body=lambda target, obj: {"front_desk_note": "Bring results"}, others=OTHERS
    ),
    "appointment-check-in": PersonaCase(make_object=an_appointment(soon=True), others=OTHERS),
    "appointment-complete": PersonaCase(make_object=an_appointment(AppointmentStatus.CHECKED_IN), others=OTHERS),
    "appointment-cancel": PersonaCase(
        make_object=an_appointment(), body=lambda target, obj: {"reason": "Patient called"}, others=OTHERS
    ),
    "appointment-no-show": PersonaCase(make_object=an_appointment(started=True), others=OTHERS),
    "appointment-series-list": PersonaCase(make_object=a_series, body=a_series_booking, others=OTHERS),
    "appointment-series-detail": PersonaCase(make_object=a_series, others=OTHERS),
    "appointment-series-cancel": PersonaCase(
        make_object=a_series, body=lambda target, obj: {"reason": "Course finished"}, others=OTHERS
    ),
    "appointment-series-move": PersonaCase(
        make_object=a_series, body=lambda target, obj: {"time": "15:00"}, others=OTHERS
    ),
    # A practitioner's colleagues' feeds are invisible to them (404, apps/scheduling/tests/test_calendar_feeds.py),
    # so these entries act on the clinic practitioner's own feed and name no "others".
    "calendar-feed-list": PersonaCase(
        make_object=a_feed,
        body=lambda target, obj: {"clinic": str(target.clinic.pk), "practitioner": str(target.owner.pk)},
    ),
    "calendar-feed-detail": PersonaCase(make_object=a_feed),
    "calendar-feed-ics": PersonaCase(
        make_object=a_feed_url, unscoped="the secret URL is the credential: no header", anonymous=SUCCESS
    ),
    "clinic-practitioners": PersonaCase(),  # nested: the clinic is the URL's (another's is 404)
    "reminder-preference-list": PersonaCase(
        make_object=a_preference,
        body=lambda target, obj: {"patient": new_patient_id(target.clinic), "opted_out": True},
        body_clinic_field="patient",
    ),
}

INTERNAL_MODELS = {
    Notification: "reminders planned and sent by the Beat task, not an API resource",
    SchedulingSettings: "a clinic's reminder window, edited in the admin",
}
