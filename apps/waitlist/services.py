"""Waitlist writes: put a patient on it, change or remove the entry, confirm or decline an offer.

Confirming books through scheduling's normal booking service in the offer's
row lock: a second confirmation of the same offer waits for the first and then
finds it confirmed (409 ``offer_not_pending``, nothing written); a direct
booking or another patient's confirmation of the same time loses to PostgreSQL's
exclusion constraint (409 ``slot_taken``) and leaves the offer as it was.
"""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.clinics.models import Clinic
from apps.core.errors import ApplicationError, ConflictError
from apps.core.roles import Role
from apps.patients.models import Patient
from apps.scheduling.services import appointment_book
from apps.scheduling.services.appointments import require_practitioner
from apps.waitlist.events import WaitlistEvent
from apps.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from apps.waitlist.offering import offer_pass_on

# An entry waits at most this long; longer is a typo, or a recall list (not a waitlist).
MAX_RANGE_DAYS = 366
EDITABLE = ("practitioner_id", "date_from", "date_to", "weekdays", "earliest_time", "latest_time", "note", "priority")


def _today(clinic: Clinic) -> date:
    return timezone.now().astimezone(ZoneInfo(clinic.time_zone)).date()


def _validate(entry: WaitlistEntry, clinic: Clinic) -> None:
    if entry.date_to < entry.date_from:
        raise ApplicationError(
            "The range ends before it starts.", fields={"date_to": ["Must not be before date_from."]}
        )
    if entry.date_to < _today(clinic):
        raise ApplicationError("The range is over.", fields={"date_to": ["In the past."]})
    if entry.date_to - entry.date_from > timedelta(days=MAX_RANGE_DAYS):
        raise ApplicationError(
            "The range is too long.", fields={"date_to": [f"At most {MAX_RANGE_DAYS} days after date_from."]}
        )
    if entry.earliest_time is not None and entry.latest_time is not None and entry.earliest_time >= entry.latest_time:
        raise ApplicationError(
            "The preferred times are the wrong way round.", fields={"latest_time": ["Must be after earliest_time."]}
        )
    if entry.practitioner_id is not None:
        require_practitioner(clinic.pk, entry.practitioner_id)


def _refuse_duplicate(entry: WaitlistEntry) -> None:
    duplicate = WaitlistEntry.objects.filter(
        clinic_id=entry.clinic_id,
        patient_id=entry.patient_id,
        practitioner_id=entry.practitioner_id,
        status=EntryStatus.WAITING,
    ).exclude(pk=entry.pk)
    if duplicate.exists():
        raise ConflictError(
            "The patient is already waiting for this practitioner; change that entry instead.",
            code="already_waiting",
            extra={"entry": str(duplicate.values_list("pk", flat=True)[0])},
        )


@transaction.atomic
def entry_create(*, actor: User, clinic: Clinic, patient_id: Any, data: dict[str, Any]) -> WaitlistEntry:
    """Put an active patient of the clinic on the waitlist; one waiting entry per patient and practitioner."""
    patient = Patient.objects.filter(pk=patient_id, clinic=clinic, active=True).first()
    if patient is None:
        raise ApplicationError("No such patient in this clinic.", fields={"patient": ["No such patient."]})
    practitioner_id = data.pop("practitioner", None)
    entry = WaitlistEntry(clinic=clinic, patient=patient, practitioner_id=practitioner_id, created_by=actor, **data)
    entry.weekdays = sorted(set(entry.weekdays or []))
    _validate(entry, clinic)
    _refuse_duplicate(entry)
    entry.save(force_insert=True)
    audit_record(actor=actor, obj=entry, event=WaitlistEvent.ENTRY_CREATE, changes={"patient": str(patient.pk)})
    return entry


def _locked_entry(entry: WaitlistEntry) -> WaitlistEntry:
    return WaitlistEntry.objects.select_for_update().select_related("clinic").get(pk=entry.pk)


def _require_waiting(entry: WaitlistEntry) -> None:
    if entry.status != EntryStatus.WAITING:
        raise ConflictError(
            f"The entry is {entry.status}; only waiting entries change.",
            code="entry_not_waiting",
            extra={"status": entry.status},
        )


@transaction.atomic
def entry_update(*, actor: User, entry: WaitlistEntry, changes: dict[str, Any]) -> WaitlistEntry:
    """Change the preferences, note or priority of a waiting entry (a pending offer stays as it is)."""
    entry = _locked_entry(entry)
    _require_waiting(entry)
    if "practitioner" in changes:
        changes["practitioner_id"] = changes.pop("practitioner")
    if "weekdays" in changes:
        changes["weekdays"] = sorted(set(changes["weekdays"]))
    changed = sorted(name for name in EDITABLE if name in changes and getattr(entry, name) != changes[name])
    if not changed:
        return entry
    for name in changed:
        setattr(entry, name, changes[name])
    _validate(entry, entry.clinic)
    _refuse_duplicate(entry)
    entry.save()
    audit_record(actor=actor, obj=entry, event=WaitlistEvent.ENTRY_UPDATE, changes={"fields": changed})
    return entry


@transaction.atomic
def entry_remove(*, actor: User, entry: WaitlistEntry) -> WaitlistEntry:
    """Take a patient off the waitlist; a pending offer is withdrawn and its slot passed to the next entry."""
    entry = _locked_entry(entry)
    _require_waiting(entry)
    now = timezone.now()
    entry.status, entry.removed_at = EntryStatus.REMOVED, now
    entry.save(update_fields=["status", "removed_at", "updated_at"])
    audit_record(actor=actor, obj=entry, event=WaitlistEvent.ENTRY_REMOVE, changes={"patient": str(entry.patient_id)})
    pending = WaitlistOffer.objects.select_for_update().filter(entry=entry, status=OfferStatus.PENDING).first()
    if pending is not None:
        _close(pending, OfferStatus.WITHDRAWN, actor=actor, now=now, event=WaitlistEvent.OFFER_WITHDRAW)
        offer_pass_on(pending, now=now)
    return entry


def _locked_offer(offer: WaitlistOffer, now: datetime) -> WaitlistOffer:
    """The offer under its row lock, if still pending and not yet expired; else 409 (nothing written)."""
    offer = WaitlistOffer.objects.select_for_update(of=("self",)).select_related("entry").get(pk=offer.pk)
    if offer.status != OfferStatus.PENDING:
        raise ConflictError(f"The offer is {offer.status}.", code="offer_not_pending", extra={"status": offer.status})
    if offer.expires_at <= now:
        raise ConflictError("The offer has expired.", code="offer_expired", extra={"status": OfferStatus.EXPIRED})
    return offer


def _close(offer: WaitlistOffer, status: str, *, actor: User, now: datetime, event: WaitlistEvent) -> None:
    offer.status, offer.responded_at, offer.responded_by = status, now, actor
    offer.save(update_fields=["status", "responded_at", "responded_by", "appointment", "updated_at"])
    audit_record(actor=actor, obj=offer, event=event, changes={"entry": str(offer.entry_id)})


@transaction.atomic
def offer_confirm(*, actor: User, role: Role, offer: WaitlistOffer) -> WaitlistOffer:
    """Book the offered slot for the entry's patient (the normal booking service) and close the entry."""
    now = timezone.now()
    offer = _locked_offer(offer, now)
    entry = offer.entry
    appointment = appointment_book(
        actor=actor,
        role=role,
        clinic=Clinic.objects.get(pk=offer.clinic_id),
        patient_id=entry.patient_id,
        practitioner_id=offer.practitioner_id,
        start=offer.start,
        end=offer.end,
        front_desk_note=entry.note,
    )
    offer.appointment = appointment
    _close(offer, OfferStatus.CONFIRMED, actor=actor, now=now, event=WaitlistEvent.OFFER_CONFIRM)
    entry.status, entry.appointment = EntryStatus.BOOKED, appointment
    entry.save(update_fields=["status", "appointment", "updated_at"])
    return offer


@transaction.atomic
def offer_decline(*, actor: User, offer: WaitlistOffer) -> WaitlistOffer:
    """The patient does not want this slot: the entry keeps waiting and the slot goes to the next entry."""
    now = timezone.now()
    offer = _locked_offer(offer, now)
    _close(offer, OfferStatus.DECLINED, actor=actor, now=now, event=WaitlistEvent.OFFER_DECLINE)
    offer_pass_on(offer, now=now)
    return offer
