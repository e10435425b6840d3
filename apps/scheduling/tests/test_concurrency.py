"""Concurrent bookings on PostgreSQL: the exclusion constraints let exactly one through."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.db import connection

from apps.core.errors import ConflictError
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book
from apps.scheduling.tests.factories import days_ahead, local_at, open_all_week

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


def race(book):
    """Run ``book(n)`` in THREADS threads released at once; each thread closes its own connection."""
    barrier = Barrier(THREADS)

    def run(n):
        try:
            barrier.wait(timeout=30)
            book(n)
            return "booked"
        except ConflictError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.fixture(params=["with the service check", "database alone"])
def service_check(request, monkeypatch):
    """Also run each race with the service-layer check switched off: the constraint alone must hold."""
    if request.param == "database alone":
        from apps.scheduling import services

        monkeypatch.setattr(services.appointments, "_check_overlaps", lambda **kwargs: None)
    return request.param


def test_twenty_bookings_of_one_slot_let_exactly_one_win(clinic, service_check):
    receptionist, practitioner = clinic.staff[Role.RECEPTIONIST], clinic.staff[Role.PRACTITIONER]
    open_all_week(clinic, practitioner)
    patients = [PatientFactory(clinic=clinic) for _ in range(THREADS)]
    start = local_at(clinic, days_ahead(7), "10:00")

    def book(n):
        # Staggered, all overlapping 10:00-10:30: any two collide.
        begin = start + timedelta(minutes=n % 3)
        appointment_book(
            actor=receptionist,
            role=Role.RECEPTIONIST,
            clinic=clinic,
            patient_id=patients[n].pk,
            practitioner_id=practitioner.pk,
            start=begin,
            end=begin + timedelta(minutes=30),
        )

    outcomes = race(book)
    assert outcomes.count("booked") == 1, outcomes
    assert outcomes.count("slot_taken") == THREADS - 1, outcomes
    assert Appointment.objects.count() == 1


def test_one_patient_booked_with_twenty_practitioners_at_once_gets_one(clinic, service_check):
    from apps.clinics.tests.factories import MembershipFactory

    receptionist = clinic.staff[Role.RECEPTIONIST]
    practitioners = [MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user for _ in range(THREADS)]
    for practitioner in practitioners:
        open_all_week(clinic, practitioner)
    patient = PatientFactory(clinic=clinic)
    start = local_at(clinic, days_ahead(7), "10:00")

    def book(n):
        appointment_book(
            actor=receptionist,
            role=Role.RECEPTIONIST,
            clinic=clinic,
            patient_id=patient.pk,
            practitioner_id=practitioners[n].pk,
            start=start,
            end=start + timedelta(minutes=30),
        )

    outcomes = race(book)
    assert outcomes.count("booked") == 1, outcomes
    assert outcomes.count("patient_busy") == THREADS - 1, outcomes
    assert Appointment.objects.count() == 1
