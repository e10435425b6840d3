"""Reading schedules: availability, free slots, appointment lists."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from apps.clinics.models import Clinic, Membership
from apps.core.roles import Role
from apps.scheduling.models import (
    ACTIVE_STATUSES,
    MAX_APPOINTMENT_DURATION,
    Appointment,
    Availability,
    AvailabilityException,
    CalendarFeed,
    SchedulingSettings,
)
from apps.scheduling.slots import BusyTimes, DayPlan, Interval, day_plan, free_slots_between, local_day_bounds

# The free-slot lookup covers at most this many days per request.
MAX_SLOT_RANGE_DAYS = 31


def is_practitioner(*, clinic_id: Any, user_id: Any) -> bool:
    """Whether the user holds the practitioner role in the clinic."""
    return Membership.objects.filter(clinic_id=clinic_id, user_id=user_id, role=Role.PRACTITIONER).exists()


def busy_intervals(
    *, practitioner_id: Any, between: Interval, exclude_id: Any = None
) -> list[tuple[datetime, datetime]]:
    """Active appointments of a practitioner (in any clinic: one person, one place) overlapping ``between``.

    ``start`` is bounded below by the longest possible appointment, so the
    (practitioner, start) index scans only the range, not the whole history.
    """
    rows = Appointment.objects.filter(
        practitioner_id=practitioner_id,
        status__in=ACTIVE_STATUSES,
        start__lt=between.end,
        start__gt=between.start - MAX_APPOINTMENT_DURATION,
        end__gt=between.start,
    )
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return list(rows.order_by().values_list("start", "end"))  # BusyTimes sorts; the database need not


def overlapping_appointments(
    *, practitioner_id: Any = None, patient_id: Any = None, between: Interval, exclude_id: Any = None
) -> QuerySet[Appointment]:
    """Active appointments of a practitioner or a patient that overlap ``between``."""
    rows = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES,
        start__lt=between.end,
        start__gt=between.start - MAX_APPOINTMENT_DURATION,
        end__gt=between.start,
    )
    if practitioner_id is not None:
        rows = rows.filter(practitioner_id=practitioner_id)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return rows


def day_plan_of(*, clinic: Clinic, practitioner_id: Any, day: date) -> DayPlan:
    """The practitioner's bookable windows in the clinic on one local date."""
    weekly = list(Availability.objects.filter(clinic=clinic, practitioner_id=practitioner_id, weekday=day.weekday()))
    exceptions = list(AvailabilityException.objects.filter(clinic=clinic, practitioner_id=practitioner_id, date=day))
    return day_plan(day, ZoneInfo(clinic.time_zone), weekly, exceptions)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


def free_slots(
    *, clinic: Clinic, practitioner_id: Any, date_from: date, date_to: date, now: datetime | None = None
) -> list[Slot]:
    """Free slots of a practitioner in a clinic on local dates ``date_from``..``date_to``, in the clinic's zone.

    Three queries whatever the range: weekly hours, exceptions, busy times.
    """
    zone = ZoneInfo(clinic.time_zone)
    weekly = list(Availability.objects.filter(clinic=clinic, practitioner_id=practitioner_id))
    exceptions = list(
        AvailabilityException.objects.filter(
            clinic=clinic, practitioner_id=practitioner_id, date__gte=date_from, date__lte=date_to
        )
    )
    bounds = local_day_bounds(date_from, date_to, zone)
    # A window may run past local midnight only by DST arithmetic; a day either side is plenty.
    margin = Interval(bounds.start - timedelta(days=1), bounds.end + timedelta(days=1))
    busy = BusyTimes(busy_intervals(practitioner_id=practitioner_id, between=margin))
    slots = free_slots_between(
        day_from=date_from,
        day_to=date_to,
        zone=zone,
        weekly=weekly,
        exceptions=exceptions,
        busy=busy,
        not_before=now or timezone.now(),
    )
    return [Slot(start=slot.start.astimezone(zone), end=slot.end.astimezone(zone)) for slot in slots]


def appointment_list(
    *,
    queryset: QuerySet[Appointment],
    practitioner_id: Any = None,
    patient_id: Any = None,
    statuses: list[str] | None = None,
    start_from: datetime | None = None,
    start_before: datetime | None = None,
    latest_first: bool = False,
) -> QuerySet[Appointment]:
    """A tenancy-scoped list of appointments, earliest first (or latest), narrowed by the given filters."""
    if practitioner_id is not None:
        queryset = queryset.filter(practitioner_id=practitioner_id)
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if start_from is not None:
        queryset = queryset.filter(start__gte=start_from)
    if start_before is not None:
        queryset = queryset.filter(start__lt=start_before)
    return queryset.order_by("-start", "-id") if latest_first else queryset.order_by("start", "id")


def practitioner_display_name(full_name: str, user_id: Any) -> str:
    """What the front desk sees: the name, or a stable stand-in (never the email)."""
    return full_name.strip() or f"Practitioner {str(user_id)[-6:]}"


def practitioner_list(*, clinic_id: Any, search: str = "") -> Any:
    """The clinic's practitioners by name: ``values()`` rows (user id, name, active), one query per page."""
    rows = Membership.objects.filter(clinic_id=clinic_id, role=Role.PRACTITIONER)
    if search:
        rows = rows.filter(user__full_name__icontains=search)
    return rows.order_by("user__full_name", "user_id").values("user_id", "user__full_name", "user__is_active")


DEFAULT_CHECK_IN_OPENS_MINUTES = 120


def check_in_opens_minutes(*, clinic_id: Any) -> int:
    """How long before the start a clinic lets patients check in (its settings row, else 2 hours)."""
    value = SchedulingSettings.objects.filter(clinic_id=clinic_id).values_list("check_in_opens_minutes", flat=True)
    return next(iter(value), DEFAULT_CHECK_IN_OPENS_MINUTES)


def live_feed_by_token(*, token_hash: str) -> CalendarFeed | None:
    """The live calendar feed with this token hash, with its clinic; None if unknown or revoked."""
    return CalendarFeed.objects.select_related("clinic").filter(token_hash=token_hash, revoked_at__isnull=True).first()


def feed_appointments(*, feed: CalendarFeed, start_from: datetime, start_before: datetime) -> list[Appointment]:
    """What a subscription URL shows: the practitioner's appointments in the feed's clinic, in a window."""
    return list(
        Appointment.objects.filter(
            clinic_id=feed.clinic_id,
            practitioner_id=feed.practitioner_id,
            start__gte=start_from,
            start__lt=start_before,
        )
        .select_related("clinic", "patient")
        .order_by("start", "id")
    )
