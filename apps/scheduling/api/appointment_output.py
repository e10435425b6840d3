"""The appointment as the API writes it: names instead of bare ids, instants in the clinic's offset.

Lists fetch ``values(*APPOINTMENT_COLUMNS)``: the patient's and the
practitioner's names and the clinic's zone come by join, so a page costs the
same number of queries at 20 rows as at 200. Every instant is written in the
clinic's UTC offset of that moment (as ``slots/`` does) and ``time_zone`` names
the zone; input accepts any offset.

The legacy ``notes`` field may hold clinical content: it is ``null`` for roles
that do not read clinical notes (receptionist, billing). ``front_desk_note``
is for everyone.
"""

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers

from apps.scheduling.models import Appointment
from apps.scheduling.selectors import practitioner_display_name

APPOINTMENT_COLUMNS = (
    "id",
    "clinic_id",
    "clinic__time_zone",
    "patient_id",
    "patient__given_name",
    "patient__family_name",
    "patient__mrn",
    "practitioner_id",
    "practitioner__full_name",
    "series_id",
    "start",
    "end",
    "status",
    "reason",
    "front_desk_note",
    "notes",
    "cancellation_reason",
    "outside_availability",
    "checked_in_at",
    "completed_at",
    "cancelled_at",
    "created_at",
    "updated_at",
)

INSTANTS = ("start", "end", "checked_in_at", "completed_at", "cancelled_at", "created_at", "updated_at")


class PatientRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    mrn = serializers.CharField()


class PractitionerRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


def local_instant(value: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with the zone's offset at that moment, e.g. 2026-10-26T09:00:00+01:00."""
    return None if value is None else value.astimezone(zone).isoformat()


def patient_name(given_name: str, family_name: str) -> str:
    return f"{given_name} {family_name}".strip()


def render_appointment(row: Mapping[str, Any], *, clinical_clinic_ids: Collection[Any]) -> dict[str, Any]:
    """One ``values(*APPOINTMENT_COLUMNS)`` row; ``notes`` only where the caller reads clinical notes."""
    zone = ZoneInfo(row["clinic__time_zone"])
    out: dict[str, Any] = {
        "id": str(row["id"]),
        "clinic": str(row["clinic_id"]),
        "time_zone": row["clinic__time_zone"],
        "patient": {
            "id": str(row["patient_id"]),
            "name": patient_name(row["patient__given_name"], row["patient__family_name"]),
            "mrn": row["patient__mrn"],
        },
        "practitioner": {
            "id": str(row["practitioner_id"]),
            "name": practitioner_display_name(row["practitioner__full_name"], row["practitioner_id"]),
        },
        "series": str(row["series_id"]) if row["series_id"] else None,
        "status": row["status"],
        "reason": row["reason"],
        "front_desk_note": row["front_desk_note"],
        "notes": row["notes"] if row["clinic_id"] in clinical_clinic_ids else None,
        "cancellation_reason": row["cancellation_reason"],
        "outside_availability": row["outside_availability"],
    }
    for name in INSTANTS:
        out[name] = local_instant(row[name], zone)
    return out


def render_appointments(
    rows: Iterable[Mapping[str, Any]], *, clinical_clinic_ids: Collection[Any]
) -> list[dict[str, Any]]:
    return [render_appointment(row, clinical_clinic_ids=clinical_clinic_ids) for row in rows]


def appointment_rows(appointment_ids: Iterable[Any]) -> list[dict[str, Any]]:
    """The rows of appointments just written or read one by one (one query), in start order."""
    return list(
        Appointment.objects.filter(pk__in=list(appointment_ids)).order_by("start", "id").values(*APPOINTMENT_COLUMNS)
    )


class AppointmentOutput(serializers.Serializer):
    """Declared for the schema; rendered by ``render_appointment`` (no per-field machinery on lists)."""

    id = serializers.UUIDField()
    clinic = serializers.UUIDField()
    time_zone = serializers.CharField(help_text="The clinic's IANA zone; every instant carries its offset")
    patient = PatientRef()
    practitioner = PractitionerRef()
    series = serializers.UUIDField(allow_null=True, help_text="The series this is an occurrence of, if any")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.CharField()
    reason = serializers.CharField()
    front_desk_note = serializers.CharField()
    notes = serializers.CharField(
        allow_null=True, help_text="Deprecated (one release): null unless your role reads clinical notes"
    )
    cancellation_reason = serializers.CharField()
    outside_availability = serializers.BooleanField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
