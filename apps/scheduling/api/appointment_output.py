"""Rendering appointment rows (APPOINTMENT_OUTPUT, apps/scheduling/outputs.py) for the caller.

The one thing the declaration cannot know is the caller: ``notes`` is null
where their role does not read clinical notes (receptionist, billing).
"""

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from apps.scheduling.models import Appointment
from apps.scheduling.outputs import (
    APPOINTMENT_OUTPUT,
    PatientRef,
    PractitionerRef,
    in_zone,
    patient_name,
    practitioner_display_name,
)

APPOINTMENT_COLUMNS = APPOINTMENT_OUTPUT.columns
AppointmentOutput = APPOINTMENT_OUTPUT.serializer

__all__ = [
    "APPOINTMENT_COLUMNS",
    "AppointmentOutput",
    "PatientRef",
    "PractitionerRef",
    "appointment_rows",
    "in_zone",
    "patient_name",
    "practitioner_display_name",
    "render_appointments",
]


def render_appointments(
    rows: Iterable[Mapping[str, Any]], *, clinical_clinic_ids: Collection[Any]
) -> list[dict[str, Any]]:
    """``values(*APPOINTMENT_COLUMNS)`` rows as the API writes them to this caller."""
    rows = list(rows)
    out = APPOINTMENT_OUTPUT.render_many(rows)
    for row, rendered in zip(rows, out, strict=True):
        if row["clinic_id"] not in clinical_clinic_ids:
            rendered["notes"] = None
    return out


def appointment_rows(appointment_ids: Iterable[Any]) -> list[dict[str, Any]]:
    """The rows of appointments just written or read one by one (one query), in start order."""
    return list(
        Appointment.objects.filter(pk__in=list(appointment_ids)).order_by("start", "id").values(*APPOINTMENT_COLUMNS)
    )
