"""Input and output shapes of the patients API."""

import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from rest_framework import serializers

from apps.core.serializers import StrictInputSerializer
from apps.patients.models import DEMOGRAPHIC_FIELDS, ExportFormat, Patient, PatientExport, Sex


def no_control_characters(value: str) -> None:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise serializers.ValidationError("Control characters are not allowed.")


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


def _instant(value: datetime | None) -> str | None:
    """As DRF writes it (UTC, "Z"), without its per-field machinery."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# What PatientOutput reads; lists and searches fetch just these with values(), skipping model instances.
PATIENT_COLUMNS = ("id", "clinic_id", "mrn", *DEMOGRAPHIC_FIELDS, "active", "archived_at", "created_at", "updated_at")


class PatientOutput(serializers.ModelSerializer[Patient]):
    """Declared for the schema; written by hand: search and list pages are the hottest reads
    (20 rows: the ModelSerializer's per-field machinery cost more than the SQL).

    Takes a Patient or a ``values(*PATIENT_COLUMNS)`` row.
    """

    clinic = serializers.UUIDField(source="clinic_id")

    class Meta:
        model = Patient
        fields = ["id", "clinic", "mrn", *DEMOGRAPHIC_FIELDS, "active", "archived_at", "created_at", "updated_at"]

    def to_representation(self, instance: Patient | dict[str, Any]) -> dict[str, Any]:
        row: Any = instance if isinstance(instance, dict) else {c: getattr(instance, c) for c in PATIENT_COLUMNS}
        out = {"id": str(row["id"]), "clinic": str(row["clinic_id"]), "mrn": row["mrn"]}
        for name in DEMOGRAPHIC_FIELDS:
            out[name] = row[name]
        birth: date = row["date_of_birth"]
        out["date_of_birth"] = birth.isoformat() if isinstance(birth, date) else birth
        out["active"] = row["active"]
        out["archived_at"] = _instant(row["archived_at"])
        out["created_at"] = _instant(row["created_at"])
        out["updated_at"] = _instant(row["updated_at"])
        return out


class DuplicateCandidateOutput(serializers.Serializer):
    id = serializers.UUIDField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    mrn = serializers.CharField()


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
