import itertools
from datetime import timedelta

from django.utils import timezone

from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus
from apps.scheduling.tests.factories import AppointmentFactory
from apps.visits.services import PerformedInput, visit_open

_slots = itertools.count()


def appointment_of(clinic, practitioner=None, status=AppointmentStatus.CHECKED_IN):
    """A fresh appointment in its own half hour (the practitioner is never double-booked)."""
    start = timezone.now() + timedelta(days=1, minutes=30 * next(_slots))
    return AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner or clinic.staff[Role.PRACTITIONER],
        status=status,
        start=start,
        end=start + timedelta(minutes=30),
    )


def open_visit(clinic, *, services=(), note="Sore throat, no fever.", codes=("J02.9",), practitioner=None):
    """An open visit of a fresh checked-in appointment; ``services`` are (service, quantity) pairs."""
    appointment = appointment_of(clinic, practitioner)
    visit, _ = visit_open(
        actor=appointment.practitioner,
        appointment=appointment,
        note=note,
        services=[PerformedInput(service_id=s.pk, quantity=q) for s, q in services],
        diagnosis_codes=list(codes),
    )
    return visit
