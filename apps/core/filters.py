"""Filter serializers: every list validates its query string with one, and the schema lists its fields.

A filter is a plain serializer over ``request.query_params``; the pagination
parameters (``page``, ``page_size``) are the paginator's and are ignored here.
DRF's CharField already refuses NUL characters, so they answer 400.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from rest_framework import serializers

from apps.core.dates import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    OUT_OF_RANGE,
    BoundedDateField,
    in_range,
    safe_parse_date,
    safe_parse_datetime,
)


class IdParam(serializers.UUIDField):
    """A query parameter naming a record by id; the same message as the rest of the API."""

    default_error_messages = {"invalid": "Must be a valid id."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class ListFilter(serializers.Serializer):
    """Base of list filters: ``clinic`` narrows to one of the caller's clinics (checked by tenancy)."""

    clinic = IdParam(help_text="Only this clinic (one of yours); default: all your clinics.")


def ordering_param(*names: str, help_text: str = "") -> serializers.ChoiceField:
    """``?ordering=`` accepting each name and its ``-name`` (descending)."""
    choices = [option for name in names for option in (name, f"-{name}")]
    return serializers.ChoiceField(choices=choices, required=False, help_text=help_text or "Sort order.")


class ChoicesParam(serializers.CharField):
    """A comma-separated list of choices (``?status=booked,checked_in``); the value is the list."""

    def __init__(self, choices: Iterable[str], **kwargs: Any) -> None:
        self.choices = list(choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "comma-separated: " + ", ".join(self.choices))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:  # type: ignore[override]
        values = [value.strip() for value in super().to_internal_value(data).split(",") if value.strip()]
        unknown = sorted(set(values) - set(self.choices))
        if unknown:
            raise serializers.ValidationError(f"Unknown: {', '.join(unknown)}.")
        return values


class DateParam(BoundedDateField):
    """An optional YYYY-MM-DD query parameter within the bounded calendar."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class DayOrInstantParam(serializers.CharField):
    """A local day (YYYY-MM-DD) or an instant with a UTC offset; ``day_bounds`` turns it into an instant."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> date | datetime:  # type: ignore[override]
        # Validators run on the parsed value, so the length is checked here, not by max_length.
        raw = super().to_internal_value(data).strip()
        value: date | datetime | None
        if len(raw) > 64:
            raise serializers.ValidationError(DATETIME_FORMAT)
        if len(raw) == 10:
            value = safe_parse_date(raw)
            if value is None:
                raise serializers.ValidationError(DATE_FORMAT)
        else:
            value = safe_parse_datetime(raw)
            if value is None or value.tzinfo is None:
                raise serializers.ValidationError(DATETIME_FORMAT)
        if not in_range(value if not isinstance(value, datetime) else value.date()):
            raise serializers.ValidationError(OUT_OF_RANGE)
        return value


def day_bound(value: date | datetime | None, zone: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    """A ``DayOrInstantParam`` as an instant: a day is its local midnight (the next one for an inclusive end)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1) if end_of_day else value, time(0), tzinfo=zone)


def narrowed(queryset: QuerySet[Any], filters: Mapping[str, Any], lookups: Mapping[str, str]) -> QuerySet[Any]:
    """``queryset`` narrowed by each filter that was given: ``lookups`` maps its name to a field lookup."""
    for name, lookup in lookups.items():
        if filters.get(name) is not None:
            queryset = queryset.filter(**{lookup: filters[name]})
    return queryset
