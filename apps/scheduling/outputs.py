"""The declared output of an appointment: one list of fields for the JSON, the columns and the schema."""

from rest_framework import serializers

from apps.core.converters import as_id, as_instant
from apps.core.outputs import OutputSpec, field
from apps.scheduling.models import Appointment

APPOINTMENT_OUTPUT = OutputSpec(
    "AppointmentOutput",
    model=Appointment,
    fields=[
        field("id", as_id),
        field("clinic", as_id, column="clinic_id", schema=serializers.UUIDField()),
        field("patient", as_id, column="patient_id", schema=serializers.UUIDField()),
        field("practitioner", as_id, column="practitioner_id", schema=serializers.UUIDField()),
        field("start", as_instant),
        field("end", as_instant),
        field("status"),
        field("reason"),
        field("notes"),
        field("cancellation_reason"),
        field("outside_availability"),
        field("checked_in_at", as_instant),
        field("completed_at", as_instant),
        field("cancelled_at", as_instant),
        field("created_at", as_instant),
        field("updated_at", as_instant),
    ],
)
