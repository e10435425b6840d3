"""Input and output shapes of the visits API."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.billing.money import plain_decimal
from apps.core.serializers import StrictInputSerializer, no_control_characters
from apps.visits.models import Addendum, Visit, VisitService, VisitStatus


def _more_than_zero(value: Any) -> None:
    if value <= 0:
        raise serializers.ValidationError("Must be more than zero.")


class PerformedServiceInput(StrictInputSerializer):
    service = serializers.UUIDField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, validators=[_more_than_zero])


class VisitFields(StrictInputSerializer):
    # Newlines and tabs belong in a note; other control characters do not.
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True, trim_whitespace=False)
    services = serializers.ListField(child=PerformedServiceInput(), required=False, max_length=50)
    # Shape-checked by the service (apps.visits.codes), so each bad code is named by its index.
    diagnosis_codes = serializers.ListField(child=serializers.CharField(max_length=16), required=False, max_length=20)

    def validate_note(self, value: str) -> str:
        no_control_characters(value.replace("\n", "").replace("\r", "").replace("\t", ""))
        return value


class VisitOpenInput(VisitFields):
    appointment = serializers.UUIDField()


class VisitUpdateInput(VisitFields):
    """Every field optional; a given list replaces the whole list."""


class AddendumInput(StrictInputSerializer):
    text = serializers.CharField(max_length=20000, trim_whitespace=False)

    def validate_text(self, value: str) -> str:
        no_control_characters(value.replace("\n", "").replace("\r", "").replace("\t", ""))
        return value


class PerformedServiceOutput(serializers.ModelSerializer[VisitService]):
    service = serializers.UUIDField(source="service_id")
    code = serializers.CharField(source="service.code")
    name = serializers.CharField(source="service.name")
    quantity = serializers.SerializerMethodField()

    class Meta:
        model = VisitService
        fields = ["position", "service", "code", "name", "quantity"]

    def get_quantity(self, row: VisitService) -> str:
        return plain_decimal(row.quantity)


class AddendumOutput(serializers.ModelSerializer[Addendum]):
    author = serializers.UUIDField(source="author_id")

    class Meta:
        model = Addendum
        fields = ["id", "author", "text", "created_at"]


class VisitOutput(serializers.ModelSerializer[Visit]):
    clinic = serializers.UUIDField(source="clinic_id")
    appointment = serializers.UUIDField(source="appointment_id")
    patient = serializers.UUIDField(source="patient_id")
    practitioner = serializers.UUIDField(source="practitioner_id")
    status = serializers.ChoiceField(choices=VisitStatus.choices)
    diagnosis_codes = serializers.SerializerMethodField()
    services = PerformedServiceOutput(many=True, read_only=True)
    addenda = AddendumOutput(many=True, read_only=True)
    invoice = serializers.UUIDField(source="invoice_id", allow_null=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "clinic",
            "appointment",
            "patient",
            "practitioner",
            "status",
            "note",
            "services",
            "diagnosis_codes",
            "addenda",
            "signed_at",
            "completed_at",
            "invoice",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_diagnosis_codes(self, visit: Visit) -> list[str]:
        return list(visit.diagnosis_codes)


class VisitListQuery(serializers.Serializer):
    patient = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=VisitStatus.choices, required=False)
