"""Offering freed time to the waitlist, and passing expired or refused offers to the next entry.

A run takes the practitioner's free slots inside the freed time (scheduling's
own free-slot lookup: availability, exceptions, appointments in any clinic),
drops the slots a pending offer holds, and gives each remaining slot to the
first waiting entry that fits it, in order of priority then age. A slot is
offered to an entry once, an entry holds one pending offer at a time, and a
pending offer holds its slot: three unique indexes, so running twice (a
redelivered task, a Beat run after a crash) offers nothing twice. Runs for one
practitioner in one clinic queue on a row lock of their membership, which
makes "is this slot held?" and the insert one step.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.audit.record import audit_record
from apps.clinics.models import Clinic, Membership
from apps.core.roles import Role
from apps.scheduling.models import ACTIVE_STATUSES, MAX_APPOINTMENT_DURATION, Appointment
from apps.scheduling.selectors import MAX_SLOT_RANGE_DAYS, free_slots
from apps.scheduling.slots import BusyTimes, Interval
from apps.waitlist.events import WaitlistEvent
from apps.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from apps.waitlist.notify import notifications_plan
from apps.waitlist.selectors import offer_hold

logger = logging.getLogger("clinicops.waitlist")

# Freed time further ahead than the free-slot lookup's range is not offered (entries span less, mostly).
HORIZON = timedelta(days=MAX_SLOT_RANGE_DAYS - 1)
# A slot starting sooner than this is too close to offer (nobody could come).
MIN_LEAD = timedelta(minutes=10)
# Waiting entries considered per run; a clinic's waitlist is far shorter.
MAX_CANDIDATES = 1000


def entry_fits(entry: WaitlistEntry, slot: Interval, zone: ZoneInfo) -> bool:
    """Does the slot fall in the entry's dates, preferred weekdays and preferred times (local)?"""
    local_start, local_end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    day = local_start.date()
    if not entry.date_from <= day <= entry.date_to:
        return False
    if entry.weekdays and day.weekday() not in entry.weekdays:
        return False
    if entry.earliest_time is not None and local_start.time() < entry.earliest_time:
        return False
    if entry.latest_time is None:
        return True
    return local_end.date() == day and local_end.time() <= entry.latest_time


def _candidates(clinic_id: Any, practitioner_id: Any, day_from: Any, day_to: Any) -> list[WaitlistEntry]:
    """Waiting entries that may take this practitioner's time on these dates, in offer order."""
    pending = WaitlistOffer.objects.filter(entry_id=OuterRef("pk"), status=OfferStatus.PENDING)
    return list(
        WaitlistEntry.objects.filter(
            clinic_id=clinic_id,
            status=EntryStatus.WAITING,
            date_from__lte=day_to,
            date_to__gte=day_from,
            patient__active=True,
        )
        .filter(Q(practitioner_id=practitioner_id) | Q(practitioner__isnull=True))
        .filter(~Exists(pending))
        .order_by("-priority", "created_at", "id")[:MAX_CANDIDATES]
    )


def _patients_busy(patient_ids: Iterable[Any], span: Interval) -> dict[Any, BusyTimes]:
    rows = Appointment.objects.filter(
        patient_id__in=list(patient_ids),
        status__in=ACTIVE_STATUSES,
        start__lt=span.end,
        start__gt=span.start - MAX_APPOINTMENT_DURATION,
        end__gt=span.start,
    ).values_list("patient_id", "start", "end")
    by_patient: dict[Any, list[tuple[datetime, datetime]]] = defaultdict(list)
    for patient_id, start, end in rows:
        by_patient[patient_id].append((start, end))
    return {patient_id: BusyTimes(intervals) for patient_id, intervals in by_patient.items()}


def _lock_practitioner(clinic_id: Any, practitioner_id: Any) -> bool:
    """Queue behind other offering runs for this practitioner here; False if they are no practitioner here."""
    return (
        Membership.objects.select_for_update()
        .filter(clinic_id=clinic_id, user_id=practitioner_id, role=Role.PRACTITIONER)
        .exists()
    )


@transaction.atomic
def offer_freed_time(
    *, clinic_id: Any, practitioner_id: Any, start: datetime, end: datetime | None, now: datetime | None = None
) -> list[WaitlistOffer]:
    """Offer the free slots of the practitioner between ``start`` and ``end`` (None: the horizon)."""
    now = now or timezone.now()
    clinic = Clinic.objects.filter(pk=clinic_id).first()
    if clinic is None or not _lock_practitioner(clinic_id, practitioner_id):
        return []
    zone = ZoneInfo(clinic.time_zone)
    begin = max(start, now + MIN_LEAD)
    finish = min(end or now + HORIZON, now + HORIZON)
    if begin >= finish:
        return []
    span = Interval(begin, finish)
    day_from, day_to = begin.astimezone(zone).date(), finish.astimezone(zone).date()
    entries = _candidates(clinic_id, practitioner_id, day_from, day_to)
    if not entries:
        return []
    slots = [
        Interval(slot.start.astimezone(UTC), slot.end.astimezone(UTC))
        for slot in free_slots(
            clinic=clinic, practitioner_id=practitioner_id, date_from=day_from, date_to=day_to, now=begin
        )
    ]
    slots = [slot for slot in slots if slot.overlaps(span)]
    if not slots:
        return []
    reach = Interval(slots[0].start, max(slot.end for slot in slots))
    held = list(
        WaitlistOffer.objects.filter(
            practitioner_id=practitioner_id, status=OfferStatus.PENDING, start__lt=reach.end, end__gt=reach.start
        ).values_list("start", "end")
    )
    offered_before = set(
        WaitlistOffer.objects.filter(
            entry__in=entries, practitioner_id=practitioner_id, start__in=[slot.start for slot in slots]
        ).values_list("entry_id", "start")
    )
    busy = _patients_busy({entry.patient_id for entry in entries}, reach)
    expires_by = now + offer_hold(clinic_id=clinic_id)
    made: list[WaitlistOffer] = []
    given: set[Any] = set()
    for slot in slots:
        if BusyTimes(held).collides(slot):
            continue
        for entry in entries:
            if entry.pk in given or (entry.pk, slot.start) in offered_before:
                continue
            patient_busy = busy.get(entry.patient_id)
            if not entry_fits(entry, slot, zone) or (patient_busy is not None and patient_busy.collides(slot)):
                continue
            offer = _make(entry, practitioner_id, slot, expires_at=min(expires_by, slot.start))
            if offer is not None:
                made.append(offer)
                given.add(entry.pk)
                held.append((slot.start, slot.end))
            break
    if made:
        notifications_plan(made)
        logger.info("waitlist offers made", extra={"clinic_id": str(clinic_id), "offers": len(made)})
    return made


def _make(entry: WaitlistEntry, practitioner_id: Any, slot: Interval, *, expires_at: datetime) -> WaitlistOffer | None:
    """Insert one offer; None if a concurrent run (another clinic of the practitioner) holds the slot."""
    offer = WaitlistOffer(
        clinic_id=entry.clinic_id,
        entry=entry,
        practitioner_id=practitioner_id,
        start=slot.start,
        end=slot.end,
        expires_at=expires_at,
    )
    try:
        with transaction.atomic():
            offer.save(force_insert=True)
    except IntegrityError:
        return None
    audit_record(
        actor=None,
        obj=offer,
        event=WaitlistEvent.OFFER_MAKE,
        changes={"entry": str(entry.pk), "patient": str(entry.patient_id)},
    )
    return offer


def offer_pass_on(offer: WaitlistOffer, *, now: datetime | None = None) -> list[WaitlistOffer]:
    """After ``offer`` ended without a booking: its slot to the next entry (in the caller's transaction)."""
    return offer_freed_time(
        clinic_id=offer.clinic_id, practitioner_id=offer.practitioner_id, start=offer.start, end=offer.end, now=now
    )


def offer_expire(*, offer_id: Any, now: datetime) -> bool:
    """Expire one overdue pending offer and pass its slot on, in one transaction; False if nothing to do."""
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update(skip_locked=True)
            .filter(pk=offer_id, status=OfferStatus.PENDING, expires_at__lte=now)
            .first()
        )
        if offer is None:
            return False
        offer.status = OfferStatus.EXPIRED
        offer.save(update_fields=["status", "updated_at"])
        audit_record(actor=None, obj=offer, event=WaitlistEvent.OFFER_EXPIRE, changes={"entry": str(offer.entry_id)})
        offer_pass_on(offer, now=now)
    return True


def offers_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire every overdue offer (a Beat run); safe to run twice or concurrently (SKIP LOCKED)."""
    now = now or timezone.now()
    overdue = list(
        WaitlistOffer.objects.filter(status=OfferStatus.PENDING, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(offer_expire(offer_id=pk, now=now) for pk in overdue)
