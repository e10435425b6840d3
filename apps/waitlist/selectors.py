"""Reading the waitlist; every read that shows patients is audited (apps.waitlist.events)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from apps.audit.record import audit_record, audit_record_reads
from apps.clinics.models import Clinic
from apps.core.roles import READ
from apps.core.tenancy import Access
from apps.scheduling.slots import local_day_bounds
from apps.waitlist.events import WaitlistEvent
from apps.waitlist.models import (
    DEFAULT_OFFER_HOLD_MINUTES,
    EntryStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSettings,
)
from apps.waitlist.outputs import ENTRY_OUTPUT, OFFER_OUTPUT

RESOURCE = "waitlist"
# The order entries are offered in.
OFFER_ORDER = ("-priority", "created_at", "id")


def offer_hold(*, clinic_id: Any) -> timedelta:
    """How long an offer holds its slot in this clinic (its settings row, else 30 minutes)."""
    minutes = WaitlistSettings.objects.filter(clinic_id=clinic_id).values_list("offer_hold_minutes", flat=True)
    return timedelta(minutes=next(iter(minutes), DEFAULT_OFFER_HOLD_MINUTES))


def anyone_waiting(*, clinic_id: Any, practitioner_id: Any) -> bool:
    """Does any entry of the clinic wait for this practitioner (or any)? One indexed query."""
    return (
        WaitlistEntry.objects.filter(clinic_id=clinic_id, status=EntryStatus.WAITING)
        .filter(Q(practitioner_id=practitioner_id) | Q(practitioner__isnull=True))
        .exists()
    )


def entry_list(
    *, access: Access, filters: dict[str, Any], paginate: Callable[[Any], Sequence[Any]]
) -> Sequence[dict[str, Any]]:
    """A page of the caller's waitlist entries in offer order (``values()`` rows), audited as read."""
    entries: QuerySet[WaitlistEntry] = WaitlistEntry.objects.visible_to(access, RESOURCE, READ)
    status = filters.get("status") or EntryStatus.WAITING
    entries = entries.filter(status=status)
    for name in ("patient", "practitioner"):
        if filters.get(name):
            entries = entries.filter(**{f"{name}_id": filters[name]})
    page = paginate(entries.order_by(*OFFER_ORDER).values(*ENTRY_OUTPUT.columns))
    audit_record_reads(
        actor=access.user,
        event=WaitlistEvent.ENTRY_LIST,
        model=WaitlistEntry,
        rows=page,
        clinic_ids=access.clinic_ids(RESOURCE, READ),
        query={name: str(value) for name, value in filters.items() if value},
        related={"patients": "patient_id"},
    )
    return page


def entry_read(*, access: Access, record: WaitlistEntry) -> WaitlistEntry:
    audit_record(
        actor=access.user, obj=record, event=WaitlistEvent.ENTRY_READ, changes={"patient": str(record.patient_id)}
    )
    return record


def offer_read(*, access: Access, record: WaitlistOffer) -> WaitlistOffer:
    audit_record(
        actor=access.user, obj=record, event=WaitlistEvent.OFFER_READ, changes={"patient": str(record.entry.patient_id)}
    )
    return record


@dataclass(frozen=True)
class WaitlistDay:
    clinic: Clinic
    day: date
    entries: list[dict[str, Any]]
    offers: list[dict[str, Any]]


def waitlist_day(*, access: Access, clinic_id: Any, day: date, practitioner_id: Any = None) -> WaitlistDay:
    """One clinic's local day: the entries waiting for it (in offer order) and the offers of slots that day.

    Three queries whatever the size of the day (the clinic, the entries, the
    offers with their patients and practitioners) and one audit insert.
    """
    clinic = Clinic.objects.get(pk=clinic_id)
    entries = WaitlistEntry.objects.filter(
        clinic_id=clinic_id, status=EntryStatus.WAITING, date_from__lte=day, date_to__gte=day
    )
    bounds = local_day_bounds(day, day, ZoneInfo(clinic.time_zone))
    offers = WaitlistOffer.objects.filter(clinic_id=clinic_id, start__gte=bounds.start, start__lt=bounds.end)
    if practitioner_id is not None:
        entries = entries.filter(Q(practitioner_id=practitioner_id) | Q(practitioner__isnull=True))
        offers = offers.filter(practitioner_id=practitioner_id)
    # Weekday preferences are a JSON list: filtered here, the same on SQLite and PostgreSQL.
    entry_rows = [
        row
        for row in entries.order_by(*OFFER_ORDER).values(*ENTRY_OUTPUT.columns)
        if not row["weekdays"] or day.weekday() in row["weekdays"]
    ]
    offer_rows = list(offers.order_by("start", "created_at").values(*OFFER_OUTPUT.columns))
    shown = [(row["id"], row["patient_id"]) for row in entry_rows]
    shown += [(row["entry_id"], row["entry__patient_id"]) for row in offer_rows]
    audit_record_reads(
        actor=access.user,
        event=WaitlistEvent.DAY_READ,
        model=WaitlistEntry,
        rows=[{"id": pk, "clinic_id": clinic.pk, "patient_id": patient_id} for pk, patient_id in dict(shown).items()],
        clinic_ids=[clinic.pk],
        query={"date": day.isoformat(), **({"practitioner": str(practitioner_id)} if practitioner_id else {})},
        related={"patients": "patient_id"},
    )
    return WaitlistDay(
        clinic=clinic,
        day=day,
        entries=ENTRY_OUTPUT.render_many(entry_rows),
        offers=OFFER_OUTPUT.render_many(offer_rows),
    )
