"""Freed time is offered to waiting entries in order, held, expired and passed on; every run is idempotent."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus, AvailabilityException
from apps.scheduling.services import appointment_transition, availability_exception_create
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at
from apps.waitlist.models import EntryStatus, OfferStatus, WaitlistOffer, WaitlistSettings
from apps.waitlist.offering import offer_freed_time, offers_expire
from apps.waitlist.services import entry_remove, offer_decline
from apps.waitlist.tasks import waitlist_tick
from apps.waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db

DAY = 3  # days ahead: a weekday-independent, future local date


def freed(clinic, practitioner, at="10:00", minutes=30, day=DAY):
    start = local_at(clinic, days_ahead(day), at)
    return offer_freed_time(
        clinic_id=clinic.pk, practitioner_id=practitioner.pk, start=start, end=start + timedelta(minutes=minutes)
    )


def entry(clinic, **fields):
    return WaitlistEntryFactory(clinic=clinic, **fields)


def test_a_freed_slot_goes_to_the_highest_priority_then_the_oldest_entry(clinic, practitioner):
    routine = entry(clinic, priority=0)
    urgent_newer = entry(clinic, priority=2)
    urgent_older = entry(clinic, priority=2)
    urgent_older.created_at = urgent_newer.created_at - timedelta(hours=1)
    urgent_older.save(update_fields=["created_at"])

    (offer,) = freed(clinic, practitioner)

    assert offer.entry_id == urgent_older.pk
    assert offer.start == local_at(clinic, days_ahead(DAY), "10:00")
    assert offer.end - offer.start == timedelta(minutes=30)
    assert offer.status == OfferStatus.PENDING
    assert not WaitlistOffer.objects.filter(entry__in=[routine, urgent_newer]).exists()


def test_each_slot_of_a_longer_freed_time_goes_to_the_next_entry(clinic, practitioner):
    first, second, third = entry(clinic, priority=2), entry(clinic, priority=1), entry(clinic)
    offers = freed(clinic, practitioner, minutes=60)
    assert [o.entry_id for o in offers] == [first.pk, second.pk]
    assert not WaitlistOffer.objects.filter(entry=third).exists()


def test_preferences_decide_who_fits(clinic, practitioner, second_practitioner):
    day = days_ahead(DAY)
    entry(clinic, practitioner=second_practitioner, priority=2)  # another practitioner
    entry(clinic, weekdays=[(day.weekday() + 1) % 7], priority=2)  # another weekday
    entry(clinic, earliest_time=time(11), priority=2)  # later in the day
    entry(clinic, latest_time=time(10, 15), priority=2)  # the slot ends after 10:15
    entry(clinic, date_from=days_ahead(DAY + 1), priority=2)  # not yet
    fits = entry(clinic, practitioner=practitioner, weekdays=[day.weekday()], latest_time=time(10, 30))
    (offer,) = freed(clinic, practitioner)
    assert offer.entry_id == fits.pk


def test_a_patient_busy_at_that_time_is_skipped(clinic, practitioner, second_practitioner):
    busy = entry(clinic, priority=2)
    AppointmentFactory(
        clinic=clinic,
        patient=busy.patient,
        practitioner=second_practitioner,
        start=local_at(clinic, days_ahead(DAY), "10:00"),
    )
    free = entry(clinic)
    (offer,) = freed(clinic, practitioner)
    assert offer.entry_id == free.pk


def test_a_held_slot_is_offered_to_nobody_else_and_a_second_run_offers_nothing(clinic, practitioner):
    first, second = entry(clinic, priority=1), entry(clinic)
    (offer,) = freed(clinic, practitioner)
    assert offer.entry_id == first.pk
    assert freed(clinic, practitioner) == []  # redelivered task, Beat after a crash: nothing twice
    assert not WaitlistOffer.objects.filter(entry=second).exists()


def test_time_still_booked_is_not_offered(clinic, practitioner):
    entry(clinic)
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, days_ahead(DAY), "10:00"))
    assert freed(clinic, practitioner) == []


def test_an_offer_that_expires_passes_to_the_next_entry(clinic, practitioner, sms_outbox):
    first, second = entry(clinic, priority=1), entry(clinic)
    (offer,) = freed(clinic, practitioner)
    later = offer.expires_at + timedelta(seconds=1)

    assert offers_expire(now=later) == 1

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    passed = WaitlistOffer.objects.get(entry=second)
    assert (passed.status, passed.start, passed.end) == (OfferStatus.PENDING, offer.start, offer.end)
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING  # still waiting, for other slots
    assert offers_expire(now=later) == 0  # the Beat run again: nothing more
    assert WaitlistOffer.objects.count() == 2
    assert AuditEvent.objects.filter(action="waitlist_offer.expire", resource_id=str(offer.pk)).count() == 1


def test_the_beat_task_expires_and_sends_and_is_idempotent(clinic, practitioner, sms_outbox):
    entry(clinic)
    (offer,) = freed(clinic, practitioner)
    assert waitlist_tick() == {"expired": 0, "sent": 1}
    assert waitlist_tick() == {"expired": 0, "sent": 0}
    assert len(sms_outbox) == 1
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert waitlist_tick() == {"expired": 1, "sent": 0}
    assert waitlist_tick() == {"expired": 0, "sent": 0}


def test_the_offer_message_says_when_and_how_long_without_the_patients_name(clinic, practitioner, sms_outbox):
    waiting = entry(clinic)
    waiting.patient.email = "waiting@example.org"
    waiting.patient.save(update_fields=["email"])
    (offer,) = freed(clinic, practitioner)
    waitlist_tick()
    waitlist_tick()
    ((to, body),) = sms_outbox
    assert to == waiting.patient.phone
    assert "10:00" in body
    assert "held for you until" in body
    assert clinic.name in body
    assert waiting.patient.family_name not in body
    assert [m.to for m in mail.outbox] == [["waiting@example.org"]]
    assert offer.notifications.filter(status="sent").count() == 2


def test_the_hold_time_is_the_clinics_setting(clinic, practitioner):
    WaitlistSettings.objects.create(clinic=clinic, offer_hold_minutes=10)
    entry(clinic)
    before = timezone.now()
    (offer,) = freed(clinic, practitioner)
    assert before + timedelta(minutes=10) <= offer.expires_at <= timezone.now() + timedelta(minutes=10)


def test_the_default_hold_is_thirty_minutes(clinic, practitioner):
    entry(clinic)
    (offer,) = freed(clinic, practitioner)
    assert timedelta(minutes=29) < offer.expires_at - timezone.now() <= timedelta(minutes=30)


def test_a_declined_offer_passes_on_and_the_entry_keeps_waiting(clinic, practitioner):
    first, second = entry(clinic, priority=1), entry(clinic)
    (offer,) = freed(clinic, practitioner)
    offer_decline(actor=clinic.staff[Role.RECEPTIONIST], offer=offer)
    assert WaitlistOffer.objects.get(entry=second).status == OfferStatus.PENDING
    first.refresh_from_db()
    assert first.status == EntryStatus.WAITING


def test_removing_an_entry_withdraws_its_offer_and_passes_the_slot_on(clinic, practitioner):
    first, second = entry(clinic, priority=1), entry(clinic)
    (offer,) = freed(clinic, practitioner)
    entry_remove(actor=clinic.staff[Role.RECEPTIONIST], entry=first)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert WaitlistOffer.objects.get(entry=second).status == OfferStatus.PENDING


def test_a_cancellation_offers_its_time_once_it_commits(clinic, practitioner, django_capture_on_commit_callbacks):
    waiting = entry(clinic)
    appointment = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, start=local_at(clinic, days_ahead(DAY), "11:00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment_transition(
            actor=clinic.staff[Role.RECEPTIONIST],
            role=Role.RECEPTIONIST,
            appointment=appointment,
            action="cancel",
            reason="Patient called",
        )
    offer = WaitlistOffer.objects.get(entry=waiting)
    assert (offer.start, offer.end) == (appointment.start, appointment.end)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_extra_hours_are_offered(clinic, practitioner, django_capture_on_commit_callbacks):
    day = days_ahead(DAY)
    waiting = entry(clinic, earliest_time=time(19))
    with django_capture_on_commit_callbacks(execute=True):
        availability_exception_create(
            actor=clinic.staff[Role.OWNER],
            role=Role.OWNER,
            clinic=clinic,
            practitioner_id=practitioner.pk,
            data={"date": day, "kind": "available", "start_time": time(19), "end_time": time(20)},
        )
    assert AvailabilityException.objects.count() == 1
    offer = WaitlistOffer.objects.get(entry=waiting)
    assert offer.start == local_at(clinic, day, "19:00")


def test_nobody_waiting_queues_no_job(clinic, practitioner, django_capture_on_commit_callbacks):
    from apps.jobs.models import Job

    appointment = AppointmentFactory(clinic=clinic, practitioner=practitioner)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_transition(
            actor=clinic.staff[Role.OWNER], role=Role.OWNER, appointment=appointment, action="cancel", reason="Ill"
        )
    assert not Job.objects.exists()


def test_demo_waitlist_is_seeded_once():
    from django.core.management import call_command

    from apps.waitlist.models import WaitlistEntry

    call_command("seed_demo")
    count = WaitlistEntry.objects.count()
    call_command("seed_demo")
    assert count == WaitlistEntry.objects.count() > 0
    assert WaitlistEntry.objects.filter(priority=2).exists()
