"""Dates and instants from clients, bounded so arithmetic on them cannot overflow.

Python's dates end at 9999-12-31 and start at 0001-01-01: a filter on
9999-12-31 that adds a day, or 0001-01-01 seen from a zone east of UTC,
raises OverflowError far from where the value came in (it used to answer 500).
Every date or date-time an API takes goes through these helpers, or the
serializer fields built on them, and anything outside MIN_DATE..MAX_DATE is a
400 on the field that carried it.
"""

from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

# Wide enough for any real clinic's records and reports; far from the calendar's ends.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
OUT_OF_RANGE = f"Must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
DATE_FORMAT = "A date (YYYY-MM-DD)."
DATETIME_FORMAT = "A date-time with a UTC offset, e.g. 2026-03-29T09:00:00+02:00 or ...Z."


def in_range(day: date) -> bool:
    return MIN_DATE <= day <= MAX_DATE


def safe_parse_date(raw: str) -> date | None:
    """A YYYY-MM-DD date, or None for anything else (including 0000-01-01 and 2026-02-30)."""
    if len(raw) != 10:
        return None
    try:
        return parse_date(raw)
    except ValueError:
        return None


def safe_parse_datetime(raw: str) -> datetime | None:
    """An ISO 8601 date-time, or None for anything else (including an offset of 24 hours or more)."""
    try:
        return parse_datetime(raw)
    except (ValueError, OverflowError):
        return None


class BoundedDateField(serializers.DateField):
    """DRF's DateField, refusing dates outside MIN_DATE..MAX_DATE."""

    def to_internal_value(self, value: Any) -> date:
        day: date = super().to_internal_value(value)
        if not in_range(day):
            raise serializers.ValidationError(OUT_OF_RANGE)
        return day


class BoundedDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField (which refuses impossible offsets itself), refusing dates outside MIN_DATE..MAX_DATE."""

    def to_internal_value(self, value: Any) -> datetime:
        instant: datetime = super().to_internal_value(value)
        if not in_range(instant.date()):
            raise serializers.ValidationError(OUT_OF_RANGE)
        return instant
