"""Booking, rescheduling and moving appointments through their states; editing availability.

Double-booking is refused twice over: a service-layer check here (the only
guard on SQLite) and, on PostgreSQL, exclusion constraints that make two
concurrent overlapping bookings impossible (migration 0002). A violation is
caught inside a savepoint and becomes a 409, so the request's transaction
stays usable and nothing is half-written.
"""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.clinics.models import Clinic
from apps.core.errors import ApplicationError, ConflictError, ForbiddenError
from apps.core.roles import Role, role_may
from apps.patients.models import Patient
from apps.scheduling import selectors
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.hooks import run_hooks
from apps.scheduling.models import (
    MAX_APPOINTMENT_DURATION,
    MIN_APPOINTMENT_DURATION,
    PATIENT_OVERLAP_CONSTRAINT,
    PRACTITIONER_OVERLAP_CONSTRAINT,
    Appointment,
    AppointmentStatus,
)
from apps.scheduling.slot_hooks import run_slot_freed_hooks
from apps.scheduling.slots import Interval

EXCLUSION_VIOLATION = "23P01"


# SQLSTATE of a deadlock PostgreSQL broke by aborting one transaction.
DEADLOCK_DETECTED = "40P01"


def slot_taken() -> ConflictError:
    return ConflictError("The practitioner already has an appointment at this time.", code="slot_taken")


def patient_busy() -> ConflictError:
    return ConflictError("The patient already has an appointment at this time.", code="patient_busy")


def _conflict_from(exc: IntegrityError) -> ConflictError | None:
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) != EXCLUSION_VIOLATION:
        return None
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if constraint == PRACTITIONER_OVERLAP_CONSTRAINT:
        return slot_taken()
    if constraint == PATIENT_OVERLAP_CONSTRAINT:
        return patient_busy()
    return None


def _save_guarded(appointment: Appointment, **kwargs: Any) -> None:
    """Save in a savepoint; an exclusion-constraint violation (a concurrent booking won) is a 409."""
    try:
        with transaction.atomic():
            appointment.save(**kwargs)
    except IntegrityError as exc:
        conflict = _conflict_from(exc)
        if conflict is None:
            raise
        raise conflict from None
    except OperationalError as exc:
        # Two concurrent inserts checking the exclusion constraint against each other can
        # deadlock; PostgreSQL aborts one of them: it lost the race for the same time.
        if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
        raise slot_taken() from None


def require_own_or_others(*, actor: User, role: Role, resource: str, practitioner_id: Any) -> None:
    """Practitioners write only their own schedule; roles with "write_others" write anyone's."""
    if str(practitioner_id) != str(actor.pk) and not role_may(role, resource, "write_others"):
        raise ForbiddenError(
            f"Your role ({role.value}) may change only your own {resource}.", code="not_own_" + resource
        )


def require_practitioner(clinic_id: Any, practitioner_id: Any) -> None:
    if not selectors.is_practitioner(clinic_id=clinic_id, user_id=practitioner_id):
        raise ApplicationError(
            "Not a practitioner of this clinic.", fields={"practitioner": ["Not a practitioner of this clinic."]}
        )


def _validate_times(start: datetime, end: datetime) -> Interval:
    if end <= start:
        raise ApplicationError("The end must be after the start.", fields={"end": ["Must be after start."]})
    if end - start > MAX_APPOINTMENT_DURATION:
        hours = MAX_APPOINTMENT_DURATION // timedelta(hours=1)
        raise ApplicationError("Too long for an appointment.", fields={"end": [f"At most {hours} hours after start."]})
    if end - start < MIN_APPOINTMENT_DURATION:
        minutes = MIN_APPOINTMENT_DURATION // timedelta(minutes=1)
        raise ApplicationError("Too short for an appointment.", fields={"end": [f"At least {minutes} minutes."]})
    if start < timezone.now():
        raise ApplicationError("Appointments cannot start in the past.", fields={"start": ["In the past."]})
    return Interval(start, end)


def _check_availability(
    *, role: Role, clinic: Clinic, practitioner_id: Any, interval: Interval, override_reason: str
) -> bool:
    """True if booked outside availability with an allowed override; refuses otherwise."""
    if override_reason and not role_may(role, "appointments", "override_availability"):
        raise ForbiddenError(f"Your role ({role.value}) may not book outside availability.")
    day = interval.start.astimezone(ZoneInfo(clinic.time_zone)).date()
    if selectors.day_plan_of(clinic=clinic, practitioner_id=practitioner_id, day=day).admits(interval):
        return False
    if not override_reason:
        raise ConflictError(
            "The practitioner is not available at this time.",
            code="outside_availability",
            fields={"start": ["Outside the practitioner's availability."]},
        )
    return True


def _check_overlaps(*, practitioner_id: Any, patient_id: Any, interval: Interval, exclude_id: Any = None) -> None:
    # The fast path and SQLite's only guard; PostgreSQL's constraints decide races.
    if selectors.overlapping_appointments(
        practitioner_id=practitioner_id, between=interval, exclude_id=exclude_id
    ).exists():
        raise slot_taken()
    if selectors.overlapping_appointments(patient_id=patient_id, between=interval, exclude_id=exclude_id).exists():
        raise patient_busy()


def _require_clinical_notes(role: Role) -> None:
    if not role_may(role, "appointment_notes", "write"):
        raise ForbiddenError(
            f"Your role ({role.value}) may not write appointment notes; use front_desk_note.", code="notes_not_allowed"
        )


def slot_length_at(*, clinic: Clinic, practitioner_id: Any, start: datetime) -> timedelta:
    """The slot length of the practitioner's window holding ``start``; a 400 on ``end`` if none does."""
    day = start.astimezone(ZoneInfo(clinic.time_zone)).date()
    plan = selectors.day_plan_of(clinic=clinic, practitioner_id=practitioner_id, day=day)
    for window in plan.windows:
        if window.start <= start < window.end:
            return window.slot
    raise ApplicationError(
        "Give an end: the start is outside the practitioner's availability.",
        fields={"end": ["Required when the start is outside the practitioner's availability."]},
    )


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    role: Role,
    clinic: Clinic,
    patient_id: Any,
    practitioner_id: Any,
    start: datetime,
    end: datetime | None = None,
    reason: str = "",
    front_desk_note: str = "",
    notes: str = "",
    override_availability_reason: str = "",
) -> Appointment:
    """Book a patient with a practitioner: inside availability (or overridden), never overlapping.

    Without ``end`` the appointment lasts the slot length of the availability
    window that holds ``start``. ``notes`` (legacy, may be clinical) only from
    roles that read clinical notes.
    """
    patient = Patient.objects.filter(pk=patient_id, clinic=clinic).first()
    if patient is None or not patient.active:
        raise ApplicationError(
            "No such patient in this clinic.", fields={"patient": ["No such patient in this clinic."]}
        )
    require_practitioner(clinic.pk, practitioner_id)
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=practitioner_id)
    if notes:
        _require_clinical_notes(role)
    if end is None:
        end = start + slot_length_at(clinic=clinic, practitioner_id=practitioner_id, start=start)
    interval = _validate_times(start, end)
    outside = _check_availability(
        role=role,
        clinic=clinic,
        practitioner_id=practitioner_id,
        interval=interval,
        override_reason=override_availability_reason,
    )
    _check_overlaps(practitioner_id=practitioner_id, patient_id=patient.pk, interval=interval)
    appointment = Appointment(
        clinic=clinic,
        patient=patient,
        practitioner_id=practitioner_id,
        start=start,
        end=end,
        reason=reason,
        front_desk_note=front_desk_note,
        notes=notes,
        outside_availability=outside,
        created_by=actor,
        updated_by=actor,
    )
    _save_guarded(appointment, force_insert=True)
    audit_record(
        actor=actor,
        obj=appointment,
        event=SchedulingEvent.APPOINTMENT_BOOK,
        changes={"practitioner": str(practitioner_id), "patient": str(patient.pk)},
    )
    if outside:
        audit_record(
            actor=actor,
            obj=appointment,
            event=SchedulingEvent.APPOINTMENT_AVAILABILITY_OVERRIDE,
            changes={"reason": override_availability_reason},
        )
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("clinic").get(pk=appointment.pk)


@transaction.atomic
def appointment_update(
    *,
    actor: User,
    role: Role,
    appointment: Appointment,
    changes: dict[str, Any],
    override_availability_reason: str = "",
) -> Appointment:
    """Reschedule (start, end, practitioner: booked only) or edit reason and notes (booked or checked in)."""
    appointment = _locked(appointment)
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=appointment.practitioner_id)
    changed = sorted(name for name, value in changes.items() if getattr(appointment, name) != value)
    if not changed:
        return appointment
    if "notes" in changed:
        _require_clinical_notes(role)
    moves = {"start", "end", "practitioner_id"} & set(changed)
    editable = (AppointmentStatus.BOOKED,) if moves else (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
    if appointment.status not in editable:
        raise ConflictError(
            f"A {appointment.get_status_display().lower()} appointment cannot be changed this way.",
            code="invalid_transition",
        )
    freed = (appointment.practitioner_id, appointment.start, appointment.end)
    for name in changed:
        setattr(appointment, name, changes[name])
    if moves:
        if "practitioner_id" in moves:
            require_practitioner(appointment.clinic_id, appointment.practitioner_id)
            require_own_or_others(
                actor=actor, role=role, resource="appointments", practitioner_id=appointment.practitioner_id
            )
        interval = _validate_times(appointment.start, appointment.end)
        appointment.outside_availability = _check_availability(
            role=role,
            clinic=appointment.clinic,
            practitioner_id=appointment.practitioner_id,
            interval=interval,
            override_reason=override_availability_reason,
        )
        _check_overlaps(
            practitioner_id=appointment.practitioner_id,
            patient_id=appointment.patient_id,
            interval=interval,
            exclude_id=appointment.pk,
        )
        appointment.sequence += 1
    appointment.updated_by = actor
    _save_guarded(appointment)
    audit_record(
        actor=actor,
        obj=appointment,
        event=SchedulingEvent.APPOINTMENT_RESCHEDULE if moves else SchedulingEvent.APPOINTMENT_UPDATE,
        changes={"fields": changed},
    )
    if moves:  # the old time is free: other apps may offer it (apps.scheduling.slot_hooks)
        run_slot_freed_hooks(clinic_id=appointment.clinic_id, practitioner_id=freed[0], start=freed[1], end=freed[2])
    if moves and appointment.outside_availability:
        audit_record(
            actor=actor,
            obj=appointment,
            event=SchedulingEvent.APPOINTMENT_AVAILABILITY_OVERRIDE,
            changes={"reason": override_availability_reason},
        )
    return appointment


def _require_check_in_window(appointment: Appointment, now: datetime) -> None:
    """From the clinic's lead time before the start until the end of the start's local day; else 409."""
    zone = ZoneInfo(appointment.clinic.time_zone)
    opens = appointment.start - timedelta(minutes=selectors.check_in_opens_minutes(clinic_id=appointment.clinic_id))
    local_day = appointment.start.astimezone(zone).date()
    closes = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone)
    if not opens <= now < closes:
        raise ConflictError(
            "Check-in is open from "
            f"{opens.astimezone(zone).isoformat()} until {closes.isoformat()} (the end of that day).",
            code="check_in_window",
            extra={"opens_at": opens.astimezone(zone).isoformat(), "closes_at": closes.isoformat()},
        )


# action -> (statuses it may leave, status it enters, timestamp field it sets)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "check_in": ((AppointmentStatus.BOOKED,), AppointmentStatus.CHECKED_IN, "checked_in_at"),
    "complete": ((AppointmentStatus.CHECKED_IN,), AppointmentStatus.COMPLETED, "completed_at"),
    "cancel": ((AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN), AppointmentStatus.CANCELLED, "cancelled_at"),
    "no_show": ((AppointmentStatus.BOOKED,), AppointmentStatus.NO_SHOW, None),
}


@transaction.atomic
def appointment_transition(
    *, actor: User, role: Role, appointment: Appointment, action: str, reason: str = ""
) -> Appointment:
    """Move an appointment along booked → checked_in → completed, or to cancelled / no_show; else 409."""
    sources, target, stamp = TRANSITIONS[action]
    appointment = _locked(appointment)
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=appointment.practitioner_id)
    if appointment.status not in sources:
        raise ConflictError(
            f"An appointment that is {appointment.status} cannot go to {target}.",
            code="invalid_transition",
            extra={"status": appointment.status},
        )
    now = timezone.now()
    if action == "check_in":
        _require_check_in_window(appointment, now)
    if action == "no_show" and appointment.start > now:
        raise ConflictError("An appointment that has not started cannot be a no-show.", code="not_started")
    if action == "cancel":
        if not reason.strip():
            raise ApplicationError("A cancellation needs a reason.", fields={"reason": ["Required."]})
        appointment.cancellation_reason = reason.strip()
        appointment.sequence += 1
    run_hooks(action, appointment, actor)  # other apps' reactions, in this transaction (apps.scheduling.hooks)
    previous = appointment.status
    appointment.status = target
    if stamp:
        setattr(appointment, stamp, now)
    appointment.updated_by = actor
    appointment.save()
    audit_record(
        actor=actor,
        obj=appointment,
        event=SchedulingEvent(f"appointment.{action}"),
        changes={"status": {"from": previous, "to": target}},
    )
    if action in ("cancel", "no_show"):  # the time is free: other apps may offer it (apps.scheduling.slot_hooks)
        run_slot_freed_hooks(
            clinic_id=appointment.clinic_id,
            practitioner_id=appointment.practitioner_id,
            start=appointment.start,
            end=appointment.end,
        )
    return appointment
