"""Input and output shapes of the patients API."""

from datetime import date
from typing import Any

from rest_framework import serializers

from apps.core.filters import ListFilter, ordering_param
from apps.core.serializers import StrictInputSerializer, no_control_characters
from apps.patients.models import ExportFormat, PatientExport, Sex
from apps.patients.outputs import PATIENT_OUTPUT

# The schema and Output(obj).data form of the declared output (apps/patients/outputs.py).
PatientOutput = PATIENT_OUTPUT.serializer


def plausible_birth_date(value: date) -> None:
    if value > date.today():
        raise serializers.ValidationError("A date of birth cannot be in the future.")
    if value.year < 1900:
        raise serializers.ValidationError("A date of birth before 1900 is not plausible.")


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, validators=[no_control_characters], **kwargs)


class PatientFields(StrictInputSerializer):
    given_name = _text(100)
    family_name = _text(100)
    date_of_birth = serializers.DateField(validators=[plausible_birth_date])
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)
    phone = _text(32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address_line = _text(200, required=False, allow_blank=True)
    city = _text(100, required=False, allow_blank=True)
    postal_code = _text(20, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)
    emergency_contact_name = _text(200, required=False, allow_blank=True)
    emergency_contact_phone = _text(32, required=False, allow_blank=True)
    override_duplicate_reason = _text(500, required=False, allow_blank=True, write_only=True)


class PatientCreateInput(PatientFields):
    clinic = serializers.UUIDField()


class PatientUpdateInput(PatientFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)
        self.fields["sex"].default = serializers.empty


class DuplicateCandidateOutput(serializers.Serializer):
    id = serializers.UUIDField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    mrn = serializers.CharField()


class PatientListFilter(ListFilter):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=(
            "Name, typos allowed (PostgreSQL: trigram similarity; SQLite: word-level typo scoring over at most "
            "20,000 names), a phone number (tried before the MRN), an MRN, or an ISO date of birth"
        ),
    )
    include_archived = serializers.BooleanField(
        required=False, default=False, help_text="Archived patients too (roles that may read them)."
    )
    ordering = ordering_param("name", help_text="By family name, then given name; a search ranks by match otherwise.")


class PatientExportInput(StrictInputSerializer):
    clinic = serializers.UUIDField()
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)


class PatientExportOutput(serializers.ModelSerializer[PatientExport]):
    clinic = serializers.UUIDField(source="clinic_id")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PatientExport
        fields = ["id", "clinic", "format", "status", "row_count", "error", "created_at", "finished_at", "download_url"]

    def get_download_url(self, export: PatientExport) -> str | None:
        if export.status != "done":
            return None
        request = self.context["request"]
        return str(request.build_absolute_uri(f"/api/v1/patients/exports/{export.pk}/download/"))
