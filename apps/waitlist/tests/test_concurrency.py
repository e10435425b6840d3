"""Confirmations at once on PostgreSQL: the offer's row lock and the exclusion constraints let one win."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.db import connection

from apps.core.errors import ConflictError
from apps.core.roles import Role
from apps.scheduling.models import Appointment
from apps.scheduling.tests.factories import days_ahead, local_at
from apps.waitlist.models import EntryStatus, OfferStatus, WaitlistOffer
from apps.waitlist.services import offer_confirm
from apps.waitlist.tests.factories import WaitlistEntryFactory, WaitlistOfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(threads, confirm):
    """Run ``confirm(n)`` in ``threads`` threads released at once; each closes its own connection."""
    barrier = Barrier(threads)

    def run(n):
        try:
            barrier.wait(timeout=30)
            confirm(n)
            return "booked"
        except ConflictError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, range(threads)))


@pytest.fixture(params=["with the service check", "database alone"])
def service_check(request, monkeypatch):
    """Also race with scheduling's service-layer overlap check off: the constraint alone must hold."""
    if request.param == "database alone":
        from apps.scheduling import services

        monkeypatch.setattr(services.appointments, "_check_overlaps", lambda **kwargs: None)
    return request.param


def test_two_patients_confirming_for_the_same_slot_at_once_one_wins(clinic, practitioner, service_check):
    """Two patients' offers for the same time (the hold bypassed: inserted directly), confirmed at once."""
    start = local_at(clinic, days_ahead(3), "10:00")
    offers = [
        WaitlistOfferFactory(
            entry=WaitlistEntryFactory(clinic=clinic),
            practitioner=practitioner,
            start=start + timedelta(minutes=10 * n),  # 10:00 and 10:10: they overlap, the hold index differs
            end=start + timedelta(minutes=10 * n + 30),
        )
        for n in range(2)
    ]
    desk = [clinic.staff[Role.RECEPTIONIST], clinic.staff[Role.OWNER]]
    roles = [Role.RECEPTIONIST, Role.OWNER]

    outcomes = race(2, lambda n: offer_confirm(actor=desk[n], role=roles[n], offer=offers[n]))

    assert sorted(outcomes) == ["booked", "slot_taken"], outcomes
    assert Appointment.objects.count() == 1
    winner = WaitlistOffer.objects.get(status=OfferStatus.CONFIRMED)
    loser = WaitlistOffer.objects.exclude(pk=winner.pk).get()
    assert (loser.status, loser.appointment_id) == (OfferStatus.PENDING, None)  # nothing half-written
    assert Appointment.objects.get().patient_id == winner.entry.patient_id
    assert loser.entry.status == EntryStatus.WAITING


def test_ten_confirmations_of_one_offer_at_once_book_it_once(clinic, practitioner):
    offer = WaitlistOfferFactory(
        entry=WaitlistEntryFactory(clinic=clinic),
        practitioner=practitioner,
        start=local_at(clinic, days_ahead(3), "11:00"),
    )
    receptionist = clinic.staff[Role.RECEPTIONIST]

    outcomes = race(10, lambda n: offer_confirm(actor=receptionist, role=Role.RECEPTIONIST, offer=offer))

    assert outcomes.count("booked") == 1, outcomes
    assert outcomes.count("offer_not_pending") == 9, outcomes
    assert Appointment.objects.count() == 1
    offer.refresh_from_db()
    assert (offer.status, offer.appointment_id) == (OfferStatus.CONFIRMED, Appointment.objects.get().pk)
