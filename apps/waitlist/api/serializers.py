"""Input, filter and output shapes of the waitlist API."""

from typing import Any

from rest_framework import serializers

from apps.core.dates import BoundedDateField
from apps.core.filters import IdParam, ListFilter
from apps.core.serializers import StrictInputSerializer
from apps.patients.api.serializers import no_control_characters
from apps.waitlist.models import EntryStatus, WaitlistPriority
from apps.waitlist.outputs import ENTRY_OUTPUT, OFFER_OUTPUT


def _weekdays(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        max_length=7,
        help_text="Preferred weekdays, 0 = Monday; empty: any day",
        **kwargs,
    )


def _time(**kwargs: Any) -> serializers.TimeField:
    return serializers.TimeField(required=False, allow_null=True, **kwargs)


class EntryFieldsInput(StrictInputSerializer):
    """What a front desk says about a waiting patient (create and change share it)."""

    practitioner = serializers.UUIDField(required=False, allow_null=True, help_text="null or absent: any practitioner")
    date_from = BoundedDateField(help_text="Local date of the clinic")
    date_to = BoundedDateField(help_text="Local date of the clinic, inclusive")
    weekdays = _weekdays(required=False)
    earliest_time = _time(help_text="Local time: the slot starts at or after it")
    latest_time = _time(help_text="Local time: the slot ends by it")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, validators=[no_control_characters])
    priority = serializers.ChoiceField(choices=WaitlistPriority.choices, required=False)


class EntryCreateInput(EntryFieldsInput):
    clinic = serializers.UUIDField()
    patient = serializers.UUIDField()


class EntryUpdateInput(EntryFieldsInput):
    date_from = BoundedDateField(required=False, help_text="Local date of the clinic")
    date_to = BoundedDateField(required=False, help_text="Local date of the clinic, inclusive")


class EntryListFilter(ListFilter):
    status = serializers.ChoiceField(choices=EntryStatus.choices, required=False, help_text="Default: waiting")
    patient = IdParam()
    practitioner = IdParam(help_text="Entries for this practitioner (not those for any practitioner)")


class DayQuery(serializers.Serializer):
    clinic = IdParam(required=True, help_text="The clinic whose local day this is (one of yours)")
    date = BoundedDateField(help_text="Local date of the clinic")
    practitioner = IdParam(help_text="Only this practitioner's offers, and entries for them or for any")


EntryOutput = ENTRY_OUTPUT.serializer
OfferOutput = OFFER_OUTPUT.serializer


class DayOutput(serializers.Serializer):
    clinic = serializers.UUIDField()
    date = serializers.DateField()
    time_zone = serializers.CharField()
    entries = EntryOutput(many=True, help_text="Waiting entries that may take a slot that day, in offer order")
    offers = OfferOutput(many=True, help_text="Offers of slots starting that day, any status, by start")
