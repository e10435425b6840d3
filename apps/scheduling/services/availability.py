"""Editing practitioners' weekly hours and their exceptions."""

from datetime import time
from typing import Any

from django.db import transaction

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.clinics.models import Clinic, Membership
from apps.core.errors import ApplicationError, ConflictError
from apps.core.roles import Role
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.models import Availability, AvailabilityException, ExceptionKind
from apps.scheduling.services.appointments import require_own_or_others, require_practitioner


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
    require_practitioner(clinic.pk, practitioner_id)
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
    require_practitioner(clinic.pk, practitioner_id)
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
