"""The declared output of a patient: one list of fields for the JSON, the columns and the schema."""

from rest_framework import serializers

from apps.core.converters import as_date, as_id, as_instant
from apps.core.outputs import OutputSpec, field
from apps.patients.models import DEMOGRAPHIC_FIELDS, Patient

PATIENT_OUTPUT = OutputSpec(
    "PatientOutput",
    model=Patient,
    fields=[
        field("id", as_id),
        field("clinic", as_id, column="clinic_id", schema=serializers.UUIDField()),
        field("mrn"),
        *(field(name, as_date if name == "date_of_birth" else None) for name in DEMOGRAPHIC_FIELDS),
        field("active"),
        field("archived_at", as_instant),
        # Set on a record merged into another: read the survivor instead.
        field("merged_into", as_id, column="merged_into_id", schema=serializers.UUIDField(allow_null=True)),
        field("created_at", as_instant),
        field("updated_at", as_instant),
    ],
)
