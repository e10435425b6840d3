"""The declared output of an appointment: one list of fields for the JSON, the columns and the schema.

Names instead of bare ids (``patient {id, name, mrn}``, ``practitioner {id,
name}``, read by join in the same ``values()`` query, so a page of 200 costs
the queries of a page of 20), and every instant in the clinic's UTC offset of
that moment with the zone named in ``time_zone``. ``notes`` (legacy, may be
clinical) is nulled for roles that do not read clinical notes by
``apps.scheduling.api.appointment_output.render_appointments``.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers

from apps.core.converters import as_id, as_local_instant
from apps.core.outputs import OutputField, OutputSpec, computed, field
from apps.scheduling.models import Appointment
from apps.scheduling.selectors import practitioner_display_name

ZONE = "clinic__time_zone"


class PatientRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    mrn = serializers.CharField()


class PractitionerRef(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


def in_zone(value: datetime | None, zone_name: str) -> str | None:
    """ISO 8601 in the zone's offset at that moment ("Z" where that is UTC)."""
    return None if value is None else as_local_instant(value.astimezone(ZoneInfo(zone_name)))


def patient_name(given_name: str, family_name: str) -> str:
    return f"{given_name} {family_name}".strip()


def _local(name: str, *, null: bool = False) -> OutputField:
    def compute(row: Mapping[str, Any]) -> str | None:
        return in_zone(row[name], row[ZONE])

    return computed(name, compute, needs=(name, ZONE), schema=serializers.DateTimeField(allow_null=null))


def _patient(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["patient_id"]),
        "name": patient_name(row["patient__given_name"], row["patient__family_name"]),
        "mrn": row["patient__mrn"],
    }


def _practitioner(row: Mapping[str, Any]) -> dict[str, Any]:
    pk = row["practitioner_id"]
    return {"id": str(pk), "name": practitioner_display_name(row["practitioner__full_name"], pk)}


APPOINTMENT_OUTPUT = OutputSpec(
    "AppointmentOutput",
    model=Appointment,
    fields=[
        field("id", as_id),
        field("clinic", as_id, column="clinic_id", schema=serializers.UUIDField()),
        field("time_zone", column=ZONE, schema=serializers.CharField(help_text="The clinic's IANA zone")),
        computed(
            "patient",
            _patient,
            needs=("patient_id", "patient__given_name", "patient__family_name", "patient__mrn"),
            schema=PatientRef(),
        ),
        computed(
            "practitioner",
            _practitioner,
            needs=("practitioner_id", "practitioner__full_name"),
            schema=PractitionerRef(),
        ),
        field("series", as_id, column="series_id", schema=serializers.UUIDField(allow_null=True)),
        _local("start"),
        _local("end"),
        field("status"),
        field("reason"),
        field("front_desk_note"),
        field(
            "notes",
            schema=serializers.CharField(
                allow_null=True, help_text="Deprecated (one release): null unless your role reads clinical notes"
            ),
        ),
        field("cancellation_reason"),
        field("outside_availability"),
        _local("checked_in_at", null=True),
        _local("completed_at", null=True),
        _local("cancelled_at", null=True),
        _local("created_at"),
        _local("updated_at"),
    ],
)
