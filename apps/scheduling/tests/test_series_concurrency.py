"""Series racing for the same slots on PostgreSQL: each slot has one winner, every losing series booked nothing."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from apps.core.errors import ConflictError
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, AppointmentSeries
from apps.scheduling.services.series import appointment_series_book
from apps.scheduling.tests.factories import days_ahead, local_at, open_all_week

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 10
COUNT = 5


def race(book):
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


@pytest.fixture
def setup(clinic):
    receptionist, practitioner = clinic.staff[Role.RECEPTIONIST], clinic.staff[Role.PRACTITIONER]
    open_all_week(clinic, practitioner)
    patients = [PatientFactory(clinic=clinic) for _ in range(THREADS)]
    return receptionist, practitioner, patients


def _book(clinic, setup, first_day):
    receptionist, practitioner, patients = setup

    def book(n):
        appointment_series_book(
            actor=receptionist,
            role=Role.RECEPTIONIST,
            clinic=clinic,
            patient_id=patients[n].pk,
            practitioner_id=practitioner.pk,
            start=local_at(clinic, days_ahead(first_day(n)), "10:00"),
            rrule=f"FREQ=DAILY;COUNT={COUNT}",
            minutes=30,
        )

    return book


def _every_series_is_whole():
    per_series = Counter(Appointment.objects.values_list("series_id", flat=True))
    assert set(per_series.values()) <= {COUNT}, per_series
    assert AppointmentSeries.objects.count() == len(per_series)


def test_ten_identical_series_at_once_one_wins_whole(clinic, setup):
    outcomes = race(_book(clinic, setup, lambda n: 7))
    assert outcomes.count("booked") == 1, outcomes
    assert outcomes.count("series_conflicts") == THREADS - 1, outcomes
    assert Appointment.objects.count() == COUNT
    _every_series_is_whole()


def test_ten_overlapping_series_each_slot_one_winner_losers_book_nothing(clinic, setup):
    # Series start on days 7..10, five days each: neighbours share up to four slots.
    outcomes = race(_book(clinic, setup, lambda n: 7 + n % 4))
    assert outcomes.count("booked") >= 1, outcomes
    assert set(outcomes) <= {"booked", "series_conflicts"}, outcomes
    starts = Counter(Appointment.objects.values_list("start", flat=True))
    assert set(starts.values()) == {1}, starts  # no slot has two winners
    assert Appointment.objects.count() == outcomes.count("booked") * COUNT
    _every_series_is_whole()
