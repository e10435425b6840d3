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
from apps.clinics.models import Clinic, Membership
from apps.core.errors import ApplicationError, ConflictError, ForbiddenError
from apps.core.roles import Role, role_may
from apps.patients.models import Patient
from apps.scheduling import selectors
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.hooks import run_cancel_hooks
from apps.scheduling.models import (
    MAX_APPOINTMENT_DURATION,
    MIN_APPOINTMENT_DURATION,
    PATIENT_OVERLAP_CONSTRAINT,
    PRACTITIONER_OVERLAP_CONSTRAINT,
    Appointment,
    AppointmentStatus,
    Availability,
    AvailabilityException,
    ExceptionKind,
    ReminderPreference,
)
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


def _require_practitioner(clinic_id: Any, practitioner_id: Any) -> None:
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


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    role: Role,
    clinic: Clinic,
    patient_id: Any,
    practitioner_id: Any,
    start: datetime,
    end: datetime,
    reason: str = "",
    notes: str = "",
    override_availability_reason: str = "",
) -> Appointment:
    """Book a patient with a practitioner: inside availability (or overridden), never overlapping."""
    patient = Patient.objects.filter(pk=patient_id, clinic=clinic).first()
    if patient is None or not patient.active:
        raise ApplicationError(
            "No such patient in this clinic.", fields={"patient": ["No such patient in this clinic."]}
        )
    _require_practitioner(clinic.pk, practitioner_id)
    require_own_or_others(actor=actor, role=role, resource="appointments", practitioner_id=practitioner_id)
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
    moves = {"start", "end", "practitioner_id"} & set(changed)
    editable = (AppointmentStatus.BOOKED,) if moves else (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
    if appointment.status not in editable:
        raise ConflictError(
            f"A {appointment.get_status_display().lower()} appointment cannot be changed this way.",
            code="invalid_transition",
        )
    for name in changed:
        setattr(appointment, name, changes[name])
    if moves:
        if "practitioner_id" in moves:
            _require_practitioner(appointment.clinic_id, appointment.practitioner_id)
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
    if moves and appointment.outside_availability:
        audit_record(
            actor=actor,
            obj=appointment,
            event=SchedulingEvent.APPOINTMENT_AVAILABILITY_OVERRIDE,
            changes={"reason": override_availability_reason},
        )
    return appointment


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
    if action == "no_show" and appointment.start > now:
        raise ConflictError("An appointment that has not started cannot be a no-show.", code="not_started")
    if action == "cancel":
        if not reason.strip():
            raise ApplicationError("A cancellation needs a reason.", fields={"reason": ["Required."]})
        appointment.cancellation_reason = reason.strip()
        appointment.sequence += 1
        run_cancel_hooks(appointment, actor)  # other apps' reactions, in this transaction (apps.scheduling.hooks)
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
    return appointment


# --- availability --------------------------------------------------------


def _lock_practitioner(clinic_id: Any, practitioner_id: Any) -> None:
    # Serialise availability edits per practitioner and clinic, so the overlap check is race-free.
    Membership.objects.select_for_update().filter(clinic_id=clinic_id, user_id=practitioner_id).first()


def _validate_window(start_time: time, end_time: time, slot_minutes: int | None) -> None:
    if end_time <= start_time:
        raise ApplicationError("The end must be after the start.", fields={"end_time": ["Must be after start_time."]})
    if slot_minutes is not None:
        length = (end_time.hour * 60 + end_time.minute) - (start_time.hour * 60 + start_time.minute)
        if slot_minutes > length:
            raise ApplicationError(
                "The slot is longer than the hours.", fields={"slot_minutes": ["Longer than the hours."]}
            )


def _refuse_overlapping_hours(availability: Availability) -> None:
    others = Availability.objects.filter(
        clinic_id=availability.clinic_id,
        practitioner_id=availability.practitioner_id,
        weekday=availability.weekday,
        start_time__lt=availability.end_time,
        end_time__gt=availability.start_time,
    ).exclude(pk=availability.pk)
    if others.exists():
        raise ConflictError(
            "These hours overlap hours the practitioner already has that day.", code="availability_overlap"
        )


@transaction.atomic
def availability_create(
    *, actor: User, role: Role, clinic: Clinic, practitioner_id: Any, data: dict[str, Any]
) -> Availability:
    """Add weekly hours for a practitioner in a clinic; hours on one weekday may not overlap."""
    _require_practitioner(clinic.pk, practitioner_id)
    require_own_or_others(actor=actor, role=role, resource="availability", practitioner_id=practitioner_id)
    _validate_window(data["start_time"], data["end_time"], data["slot_minutes"])
    _lock_practitioner(clinic.pk, practitioner_id)
    availability = Availability(clinic=clinic, practitioner_id=practitioner_id, created_by=actor, **data)
    _refuse_overlapping_hours(availability)
    availability.full_clean()
    availability.save()
    audit_record(
        actor=actor,
        obj=availability,
        event=SchedulingEvent.AVAILABILITY_CREATE,
        changes={"practitioner": str(practitioner_id)},
    )
    return availability


@transaction.atomic
def availability_update(
    *, actor: User, role: Role, availability: Availability, changes: dict[str, Any]
) -> Availability:
    """Change weekly hours; appointments already booked stay as they are."""
    require_own_or_others(actor=actor, role=role, resource="availability", practitioner_id=availability.practitioner_id)
    _lock_practitioner(availability.clinic_id, availability.practitioner_id)
    changed = sorted(name for name, value in changes.items() if getattr(availability, name) != value)
    for name in changed:
        setattr(availability, name, changes[name])
    if not changed:
        return availability
    _validate_window(availability.start_time, availability.end_time, availability.slot_minutes)
    _refuse_overlapping_hours(availability)
    availability.full_clean()
    availability.save()
    audit_record(actor=actor, obj=availability, event=SchedulingEvent.AVAILABILITY_UPDATE, changes={"fields": changed})
    return availability


@transaction.atomic
def availability_delete(*, actor: User, role: Role, availability: Availability) -> None:
    """Remove weekly hours; appointments already booked stay."""
    require_own_or_others(actor=actor, role=role, resource="availability", practitioner_id=availability.practitioner_id)
    audit_record(
        actor=actor,
        obj=availability,
        event=SchedulingEvent.AVAILABILITY_DELETE,
        changes={"practitioner": str(availability.practitioner_id)},
    )
    availability.delete()


@transaction.atomic
def availability_exception_create(
    *, actor: User, role: Role, clinic: Clinic, practitioner_id: Any, data: dict[str, Any]
) -> AvailabilityException:
    """Time off (a whole day without times, or some hours) or extra hours on one local date."""
    _require_practitioner(clinic.pk, practitioner_id)
    require_own_or_others(actor=actor, role=role, resource="availability", practitioner_id=practitioner_id)
    start_time, end_time = data.get("start_time"), data.get("end_time")
    if (start_time is None) != (end_time is None):
        raise ApplicationError("Give both times or neither.", fields={"end_time": ["Give both times or neither."]})
    if data["kind"] == ExceptionKind.AVAILABLE:
        if start_time is None or end_time is None:
            raise ApplicationError("Extra hours need times.", fields={"start_time": ["Required for extra hours."]})
        data = {"slot_minutes": 30, **data}
    else:
        data = {**data, "slot_minutes": None}
    if start_time is not None and end_time is not None:
        _validate_window(start_time, end_time, data.get("slot_minutes"))
    exception = AvailabilityException(clinic=clinic, practitioner_id=practitioner_id, created_by=actor, **data)
    exception.full_clean()
    exception.save()
    audit_record(
        actor=actor,
        obj=exception,
        event=SchedulingEvent.AVAILABILITY_EXCEPTION_CREATE,
        changes={"kind": exception.kind},
    )
    return exception


@transaction.atomic
def availability_exception_delete(*, actor: User, role: Role, exception: AvailabilityException) -> None:
    require_own_or_others(actor=actor, role=role, resource="availability", practitioner_id=exception.practitioner_id)
    audit_record(
        actor=actor,
        obj=exception,
        event=SchedulingEvent.AVAILABILITY_EXCEPTION_DELETE,
        changes={"kind": exception.kind},
    )
    exception.delete()


# --- reminder preferences --------------------------------------------------


@transaction.atomic
def reminder_preference_set(*, actor: User, patient: Patient, opted_out: bool) -> ReminderPreference:
    """Record whether a patient wants appointment reminders (the default is yes)."""
    preference, created = ReminderPreference.objects.select_for_update().get_or_create(
        patient=patient, defaults={"clinic_id": patient.clinic_id, "opted_out": opted_out, "updated_by": actor}
    )
    if not created and preference.opted_out == opted_out:
        return preference
    preference.opted_out = opted_out
    preference.updated_by = actor
    preference.save()
    audit_record(
        actor=actor,
        obj=patient,
        event=SchedulingEvent.REMINDER_PREFERENCE,
        changes={"opted_out": opted_out},
    )
    return preference
