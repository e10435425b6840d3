"""Recurring appointments: book a series all or nothing, move or cancel this-and-following or all of it.

Every occurrence is a real Appointment (lists, reminders, check-in, billing
and the exclusion constraints treat it as any other). Booking checks every
occurrence against availability and the existing appointments in a constant
number of queries, then inserts them in one statement inside the request's
transaction; if a concurrent booking wins a slot first, PostgreSQL's exclusion
constraint refuses the insert, the occurrences are checked again (now seeing
the winner) and the whole series is refused with 409 ``series_conflicts``
listing each conflicting occurrence and its reason. Nothing is written.
"""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import DatabaseError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.clinics.models import Clinic
from apps.core.errors import ApplicationError, ConflictError
from apps.core.roles import Role
from apps.patients.models import Patient
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.models import (
    ACTIVE_STATUSES,
    MAX_APPOINTMENT_DURATION,
    MIN_APPOINTMENT_DURATION,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    Availability,
    AvailabilityException,
)
from apps.scheduling.recurrence import occurrences, parse_rule
from apps.scheduling.services.appointments import (
    EXCLUSION_VIOLATION,
    appointment_transition,
    require_own_or_others,
    require_practitioner,
    slot_length_at,
)
from apps.scheduling.slots import BusyTimes, Interval, day_plan


def _busy(*, field: str, value: Any, first: datetime, last: datetime, exclude_ids: list[Any]) -> BusyTimes:
    rows = Appointment.objects.filter(
        **{field: value},
        status__in=ACTIVE_STATUSES,
        start__lt=last,
        start__gt=first - MAX_APPOINTMENT_DURATION,
        end__gt=first,
    ).exclude(pk__in=exclude_ids)
    return BusyTimes(rows.order_by().values_list("start", "end"))


def occurrence_conflicts(
    *,
    clinic: Clinic,
    practitioner_id: Any,
    patient_id: Any,
    intervals: list[Interval],
    exclude_ids: list[Any] | None = None,
) -> list[dict[str, str]]:
    """Each occurrence that cannot be booked, with why: four queries whatever the number of occurrences."""
    if not intervals:
        return []
    zone = ZoneInfo(clinic.time_zone)
    excluded = list(exclude_ids or [])
    first, last = intervals[0].start, intervals[-1].end
    days = {interval.start.astimezone(zone).date() for interval in intervals}
    weekly = list(Availability.objects.filter(clinic=clinic, practitioner_id=practitioner_id))
    exceptions = list(
        AvailabilityException.objects.filter(
            clinic=clinic, practitioner_id=practitioner_id, date__gte=min(days), date__lte=max(days)
        )
    )
    practitioner_busy = _busy(
        field="practitioner_id", value=practitioner_id, first=first, last=last, exclude_ids=excluded
    )
    patient_busy = _busy(field="patient_id", value=patient_id, first=first, last=last, exclude_ids=excluded)
    now = timezone.now()
    conflicts = []
    for interval in intervals:
        reason = ""
        if interval.start < now:
            reason = "in_the_past"
        elif not day_plan(interval.start.astimezone(zone).date(), zone, weekly, exceptions).admits(interval):
            reason = "outside_availability"
        elif practitioner_busy.collides(interval):
            reason = "slot_taken"
        elif patient_busy.collides(interval):
            reason = "patient_busy"
        if reason:
            conflicts.append(
                {
                    "start": interval.start.astimezone(zone).isoformat(),
                    "end": interval.end.astimezone(zone).isoformat(),
                    "reason": reason,
                }
            )
    return conflicts


def _refuse(conflicts: list[dict[str, str]]) -> ConflictError:
    return ConflictError(
        f"{len(conflicts)} occurrence(s) cannot be booked; nothing was booked.",
        code="series_conflicts",
        extra={"conflicts": conflicts},
    )


def _check_duration(duration: timedelta) -> None:
    if not MIN_APPOINTMENT_DURATION <= duration <= MAX_APPOINTMENT_DURATION:
        raise ApplicationError(
            "Not a possible appointment length.",
            fields={"minutes": [f"Between {MIN_APPOINTMENT_DURATION} and {MAX_APPOINTMENT_DURATION}."]},
        )


# Two series racing for each other's slots can deadlock inside PostgreSQL; the
# one it aborts lost the race, exactly as if the constraint had refused it.
DEADLOCK_DETECTED = "40P01"


def _lost_race(exc: DatabaseError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED)


def _audit(actor: User, series: AppointmentSeries, event: SchedulingEvent, changes: dict[str, Any]) -> None:
    audit_record(actor=actor, obj=series, event=event, changes=changes)


@transaction.atomic
def appointment_series_book(
    *,
    actor: User,
    role: Role,
    clinic: Clinic,
    patient_id: Any,
    practitioner_id: Any,
    start: datetime,
    rrule: str,
    minutes: int | None = None,
    reason: str = "",
    front_desk_note: str = "",
) -> AppointmentSeries:
    """Book every occurrence of ``rrule`` from ``start`` (local time kept across DST), or none of them."""
    patient = Patient.objects.filter(pk=patient_id, clinic=clinic).first()
    if patient is None or not patient.active:
        raise ApplicationError(
            "No such patient in this clinic.", fields={"patient": ["No such patient in this clinic."]}
        )
    require_practitioner(clinic.pk, practitioner_id)
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=practitioner_id)
    rule = parse_rule(rrule)
    starts = occurrences(rule, first_start=start, zone=ZoneInfo(clinic.time_zone))
    if minutes is not None:
        duration = timedelta(minutes=minutes)
    else:
        duration = slot_length_at(clinic=clinic, practitioner_id=practitioner_id, start=starts[0])
    _check_duration(duration)
    intervals = [Interval(s, s + duration) for s in starts]
    check = {"clinic": clinic, "practitioner_id": practitioner_id, "patient_id": patient.pk, "intervals": intervals}
    conflicts = occurrence_conflicts(**check)
    if conflicts:
        raise _refuse(conflicts)
    series = AppointmentSeries.objects.create(
        clinic=clinic,
        patient=patient,
        practitioner_id=practitioner_id,
        rrule=rule.text,
        first_start=starts[0],
        duration_minutes=duration // timedelta(minutes=1),
        reason=reason,
        created_by=actor,
    )
    rows = [
        Appointment(
            clinic=clinic,
            patient=patient,
            practitioner_id=practitioner_id,
            series=series,
            start=interval.start,
            end=interval.end,
            reason=reason,
            front_desk_note=front_desk_note,
            created_by=actor,
            updated_by=actor,
        )
        for interval in intervals
    ]
    try:
        with transaction.atomic():
            Appointment.objects.bulk_create(rows)
    except DatabaseError as exc:
        if not _lost_race(exc):
            raise
        # A concurrent booking won a slot after our check: name every occurrence now taken.
        raise _refuse(occurrence_conflicts(**check) or [{"start": "", "end": "", "reason": "slot_taken"}]) from None
    _audit(
        actor,
        series,
        SchedulingEvent.SERIES_BOOK,
        {
            "rrule": rule.text,
            "patient": str(patient.pk),
            "practitioner": str(practitioner_id),
            "appointments": [str(row.pk) for row in rows],
        },
    )
    return series


def _targets(series: AppointmentSeries, from_appointment_id: Any, statuses: tuple[str, ...]) -> list[Appointment]:
    """The occurrences a change covers: all of them, or the given one and those after it."""
    rows = Appointment.objects.select_for_update().filter(series=series, status__in=statuses).order_by("start")
    if from_appointment_id is not None:
        anchor = Appointment.objects.filter(series=series, pk=from_appointment_id).values_list("start", flat=True)
        anchor_start = anchor.first()
        if anchor_start is None:
            raise ApplicationError(
                "Not an occurrence of this series.", fields={"from_occurrence": ["Not an occurrence of this series."]}
            )
        rows = rows.filter(start__gte=anchor_start)
    return list(rows)


@transaction.atomic
def appointment_series_cancel(
    *, actor: User, role: Role, series: AppointmentSeries, reason: str, from_appointment_id: Any = None
) -> list[Appointment]:
    """Cancel the whole series, or one occurrence and those after it (past and finished ones stay)."""
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=series.practitioner_id)
    if not reason.strip():
        raise ApplicationError("A cancellation needs a reason.", fields={"reason": ["Required."]})
    cancelled = [
        appointment_transition(actor=actor, role=role, appointment=occurrence, action="cancel", reason=reason)
        for occurrence in _targets(
            series, from_appointment_id, (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
        )
    ]
    _audit(actor, series, SchedulingEvent.SERIES_CANCEL, {"appointments": [str(a.pk) for a in cancelled]})
    return cancelled


@transaction.atomic
def appointment_series_move(
    *,
    actor: User,
    role: Role,
    series: AppointmentSeries,
    at: time | None = None,
    minutes: int | None = None,
    from_appointment_id: Any = None,
) -> list[Appointment]:
    """Move booked occurrences (all, or one and those after it) to another local time and/or length.

    Each stays on its local date; every moved occurrence is checked as at
    booking, all or nothing (409 ``series_conflicts``).
    """
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=series.practitioner_id)
    clinic = Clinic.objects.get(pk=series.clinic_id)
    zone = ZoneInfo(clinic.time_zone)
    targets = _targets(series, from_appointment_id, (AppointmentStatus.BOOKED,))
    if not targets:
        return []
    intervals = []
    for occurrence in targets:
        local = occurrence.start.astimezone(zone)
        new_start = local if at is None else datetime.combine(local.date(), at, tzinfo=zone)
        length = occurrence.end - occurrence.start if minutes is None else timedelta(minutes=minutes)
        _check_duration(length)
        intervals.append(Interval(new_start, new_start + length))
    order = sorted(range(len(targets)), key=lambda i: intervals[i].start)
    conflicts = occurrence_conflicts(
        clinic=clinic,
        practitioner_id=series.practitioner_id,
        patient_id=series.patient_id,
        intervals=[intervals[i] for i in order],
        exclude_ids=[t.pk for t in targets],
    )
    if conflicts:
        raise _refuse(conflicts)
    try:
        with transaction.atomic():
            for occurrence, interval in zip(targets, intervals, strict=True):
                occurrence.start, occurrence.end = interval.start, interval.end
                occurrence.sequence += 1
                occurrence.updated_by = actor
                occurrence.save(update_fields=["start", "end", "sequence", "updated_by", "updated_at"])
    except DatabaseError as exc:
        if not _lost_race(exc):
            raise
        raise _refuse([{"start": "", "end": "", "reason": "slot_taken"}]) from None
    _audit(actor, series, SchedulingEvent.SERIES_MOVE, {"appointments": [str(t.pk) for t in targets]})
    return targets
