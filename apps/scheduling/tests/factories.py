from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory
from django.urls import reverse
from django.utils import timezone

from apps.clinics.tests.factories import ClinicFactory
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, Availability


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Availability

    clinic = factory.SubFactory(ClinicFactory)
    weekday = 0
    start_time = time(9)
    end_time = time(17)
    slot_minutes = 30


class AppointmentFactory(factory.django.DjangoModelFactory):
    """Inserted directly (no availability or past-time checks): for fixtures, not for testing booking."""

    class Meta:
        model = Appointment

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.LazyAttribute(lambda a: PatientFactory(clinic=a.clinic))
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    end = factory.LazyAttribute(lambda a: a.start + timedelta(minutes=30))


def open_all_week(clinic, practitioner, start=time(8), end=time(18), slot_minutes=30):
    """Weekly hours every day, so bookings in tests are inside availability unless they mean not to be."""
    for weekday in range(7):
        AvailabilityFactory(
            clinic=clinic,
            practitioner=practitioner,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
        )


def local_at(clinic, day: date, at: str) -> datetime:
    hour, minute = map(int, at.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(clinic.time_zone))


def days_ahead(n: int) -> date:
    return timezone.now().date() + timedelta(days=n)


def appointment_url(appointment, action=None) -> str:
    """``appointments/{id}/`` or one of its actions (``check-in``, ``cancel``...)."""
    if action:
        return reverse(f"appointment-{action}", args=[appointment.pk])
    return reverse("appointment-detail", args=[appointment.pk])


def booking(clinic, for_patient, with_practitioner, at="10:00", minutes=30, day=None, **overrides) -> dict:
    """A valid ``POST appointments/`` body: ``at`` local time, a week ahead unless ``day`` is given."""
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
