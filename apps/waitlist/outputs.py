"""The declared outputs of waitlist entries and offers: names instead of ids, instants in the clinic's offset.

Patient and practitioner are read by join in the same ``values()`` query (a
day's list costs one query), and every instant is written in the clinic's UTC
offset of that moment, as the scheduling answers are (``time_zone`` names it).
"""

from collections.abc import Callable, Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.converters import as_date, as_id, as_time
from apps.core.outputs import OutputField, OutputSpec, computed, field
from apps.scheduling.outputs import PatientRef, PractitionerRef, in_zone, patient_name
from apps.scheduling.selectors import practitioner_display_name
from apps.waitlist.models import WaitlistEntry, WaitlistOffer

ZONE = "clinic__time_zone"


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "null: any of the clinic's practitioners",
        "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}},
        "required": ["id", "name"],
    }
)
class AnyPractitionerRef(serializers.JSONField):
    """A practitioner reference or null, documented inline: OpenAPI 3.0 cannot make a referenced object nullable."""


def _patient(prefix: str) -> OutputField:
    def compute(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": str(row[f"{prefix}_id"]),
            "name": patient_name(row[f"{prefix}__given_name"], row[f"{prefix}__family_name"]),
            "mrn": row[f"{prefix}__mrn"],
        }

    needs = (f"{prefix}_id", f"{prefix}__given_name", f"{prefix}__family_name", f"{prefix}__mrn")
    return computed("patient", compute, needs=needs, schema=PatientRef())


def _practitioner(*, null: bool) -> OutputField:
    def compute(row: Mapping[str, Any]) -> dict[str, Any] | None:
        pk = row["practitioner_id"]
        if pk is None:
            return None
        return {"id": str(pk), "name": practitioner_display_name(row["practitioner__full_name"], pk)}

    schema = AnyPractitionerRef(allow_null=True) if null else PractitionerRef()
    return computed("practitioner", compute, needs=("practitioner_id", "practitioner__full_name"), schema=schema)


def _local(name: str, *, null: bool = False) -> OutputField:
    compute: Callable[[Mapping[str, Any]], str | None] = lambda row: in_zone(row[name], row[ZONE])  # noqa: E731
    return computed(name, compute, needs=(name, ZONE), schema=serializers.DateTimeField(allow_null=null))


def _ref(name: str, column: str, help_text: str) -> OutputField:
    return field(name, as_id, column=column, schema=serializers.UUIDField(allow_null=True, help_text=help_text))


ENTRY_OUTPUT = OutputSpec(
    "WaitlistEntryOutput",
    model=WaitlistEntry,
    fields=[
        field("id", as_id),
        field("clinic", as_id, column="clinic_id", schema=serializers.UUIDField()),
        field("time_zone", column=ZONE, schema=serializers.CharField(help_text="The clinic's IANA zone")),
        _patient("patient"),
        _practitioner(null=True),
        field("date_from", as_date),
        field("date_to", as_date),
        field(
            "weekdays",
            schema=serializers.ListField(child=serializers.IntegerField(), help_text="0 = Monday; empty: any day"),
        ),
        field("earliest_time", as_time),
        field("latest_time", as_time),
        field("note"),
        field("priority", schema=serializers.IntegerField(help_text="0 routine, 1 soon, 2 urgent; higher first")),
        field("status"),
        _ref("appointment", "appointment_id", "The appointment booked from an offer"),
        _local("created_at"),
        _local("updated_at"),
    ],
)

OFFER_OUTPUT = OutputSpec(
    "WaitlistOfferOutput",
    model=WaitlistOffer,
    fields=[
        field("id", as_id),
        field("clinic", as_id, column="clinic_id", schema=serializers.UUIDField()),
        field("time_zone", column=ZONE, schema=serializers.CharField(help_text="The clinic's IANA zone")),
        field("entry", as_id, column="entry_id", schema=serializers.UUIDField()),
        _patient("entry__patient"),
        _practitioner(null=False),
        _local("start"),
        _local("end"),
        field("status"),
        _local("expires_at"),
        _local("responded_at", null=True),
        _ref("appointment", "appointment_id", "The appointment its confirmation booked"),
        _local("created_at"),
    ],
)
