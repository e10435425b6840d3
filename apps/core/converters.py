"""Values as the API writes them (DRF's JSON forms), as plain functions.

Pure Python on purpose: ``apps.core.outputs`` builds every declared output
from these, and ``bench/minimal.py`` (no Django) imports them too, so the
baseline and the API cannot drift apart. Each one passes ``None`` through.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def as_id(value: Any) -> str | None:
    """A UUID (or any key) as its string."""
    return str(value) if value is not None else None


def as_date(value: date | str | None) -> str | None:
    """ISO 8601 date; a value already rendered is left as it is."""
    return value.isoformat() if isinstance(value, date) else value


def as_instant(value: datetime | None) -> str | None:
    """An instant in UTC with a ``Z`` suffix, as DRF writes DateTimeField with USE_TZ."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def as_local_instant(value: datetime | None) -> str | None:
    """An instant as it is (its own offset), with ``Z`` for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def as_time(value: Any) -> str | None:
    """A time of day, ISO 8601."""
    return value.isoformat() if value is not None and not isinstance(value, str) else value


def as_decimal(places: int) -> Any:
    """A Decimal with a fixed number of places, as DRF's DecimalField(decimal_places=places) writes it."""
    quantum = Decimal(1).scaleb(-places)

    def convert(value: Decimal | None) -> str | None:
        return None if value is None else str(Decimal(value).quantize(quantum))

    return convert
