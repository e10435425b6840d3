"""Scheduling writes, one module per job; the names callers use are re-exported here."""

from apps.scheduling.services.appointments import (
    TRANSITIONS,
    appointment_book,
    appointment_transition,
    appointment_update,
    patient_busy,
    require_own_or_others,
    slot_taken,
)
from apps.scheduling.services.availability import (
    availability_create,
    availability_delete,
    availability_exception_create,
    availability_exception_delete,
    availability_update,
)
from apps.scheduling.services.preferences import reminder_preference_set

__all__ = [
    "TRANSITIONS",
    "appointment_book",
    "appointment_transition",
    "appointment_update",
    "availability_create",
    "availability_delete",
    "availability_exception_create",
    "availability_exception_delete",
    "availability_update",
    "patient_busy",
    "reminder_preference_set",
    "require_own_or_others",
    "slot_taken",
]
