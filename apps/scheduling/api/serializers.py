"""Input and output shapes of the scheduling API."""

from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.core.dates import BoundedDateField, BoundedDateTimeField, safe_parse_datetime
from apps.core.serializers import StrictInputSerializer
from apps.patients.api.serializers import no_control_characters
from apps.scheduling.models import (
    Availability,
    AvailabilityException,
    ExceptionKind,
    ReminderPreference,
    Weekday,
)
from apps.scheduling.selectors import MAX_SLOT_RANGE_DAYS


class AwareDateTimeField(BoundedDateTimeField):
    """An ISO 8601 instant that must say its offset: "09:00" alone is ambiguous across clinics."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            parsed = safe_parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result: datetime = super().to_internal_value(value)
        return result

    default_error_messages = {"naive": "Give a UTC offset, e.g. 2026-03-29T09:00:00+02:00 or ...Z."}


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, validators=[no_control_characters], **kwargs)


def _slot_minutes(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=5, max_value=480, **kwargs)


class AvailabilityCreateInput(StrictInputSerializer):
    clinic = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    slot_minutes = _slot_minutes(default=30)


class AvailabilityUpdateInput(StrictInputSerializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices, required=False)
    start_time = serializers.TimeField(required=False)
    end_time = serializers.TimeField(required=False)
    slot_minutes = _slot_minutes(required=False)


class AvailabilityOutput(serializers.ModelSerializer[Availability]):
    clinic = serializers.UUIDField(source="clinic_id")
    practitioner = serializers.UUIDField(source="practitioner_id")

    class Meta:
        model = Availability
        fields = ["id", "clinic", "practitioner", "weekday", "start_time", "end_time", "slot_minutes", "created_at"]


class AvailabilityExceptionInput(StrictInputSerializer):
    clinic = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    date = BoundedDateField()
    kind = serializers.ChoiceField(choices=ExceptionKind.choices)
    start_time = serializers.TimeField(required=False, allow_null=True)
    end_time = serializers.TimeField(required=False, allow_null=True)
    slot_minutes = _slot_minutes(required=False)
    note = _text(200, required=False, allow_blank=True)


class AvailabilityExceptionOutput(serializers.ModelSerializer[AvailabilityException]):
    clinic = serializers.UUIDField(source="clinic_id")
    practitioner = serializers.UUIDField(source="practitioner_id")

    class Meta:
        model = AvailabilityException
        fields = [
            "id",
            "clinic",
            "practitioner",
            "date",
            "kind",
            "start_time",
            "end_time",
            "slot_minutes",
            "note",
            "created_at",
        ]


class SlotQuery(StrictInputSerializer):
    clinic = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    date_from = BoundedDateField()
    date_to = BoundedDateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        if (attrs["date_to"] - attrs["date_from"]).days >= MAX_SLOT_RANGE_DAYS:
            raise serializers.ValidationError({"date_to": [f"At most {MAX_SLOT_RANGE_DAYS} days per request."]})
        return attrs


class SlotOutput(serializers.Serializer):
    """A free slot; both ends carry the clinic's UTC offset of that moment."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> dict[str, str]:
        return {"start": instance.start.isoformat(), "end": instance.end.isoformat()}


class SlotListOutput(serializers.Serializer):
    time_zone = serializers.CharField()
    results = SlotOutput(many=True)


class AppointmentCreateInput(StrictInputSerializer):
    clinic = serializers.UUIDField()
    patient = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    start = AwareDateTimeField()
    end = AwareDateTimeField(required=False, help_text="Default: start plus the availability's slot length")
    reason = _text(500, required=False, allow_blank=True)
    front_desk_note = _text(500, required=False, allow_blank=True)
    notes = _text(2000, required=False, allow_blank=True, help_text="Deprecated: clinical roles only")
    override_availability_reason = _text(500, required=False, allow_blank=True)


class AppointmentUpdateInput(StrictInputSerializer):
    practitioner = serializers.UUIDField(required=False)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    reason = _text(500, required=False, allow_blank=True)
    front_desk_note = _text(500, required=False, allow_blank=True)
    notes = _text(2000, required=False, allow_blank=True, help_text="Deprecated: clinical roles only")
    override_availability_reason = _text(500, required=False, allow_blank=True)


class CancelInput(StrictInputSerializer):
    reason = _text(500)


class ReminderPreferenceInput(StrictInputSerializer):
    patient = serializers.UUIDField()
    opted_out = serializers.BooleanField()


class ReminderPreferenceOutput(serializers.ModelSerializer[ReminderPreference]):
    clinic = serializers.UUIDField(source="clinic_id")
    patient = serializers.UUIDField(source="patient_id")

    class Meta:
        model = ReminderPreference
        fields = ["id", "clinic", "patient", "opted_out", "updated_at"]
