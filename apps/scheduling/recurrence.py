"""The RRULE subset of appointment series, parsed strictly and expanded in the clinic's local time.

Accepted (RFC 5545 3.3.10, a subset): ``FREQ=DAILY|WEEKLY``, ``INTERVAL=1..52``,
``BYDAY=MO,TU,...`` (plain weekday codes, WEEKLY only), and exactly one of
``COUNT=1..52`` or ``UNTIL=YYYYMMDD[THHMMSS[Z]]``. A series has at most
MAX_OCCURRENCES occurrences. Anything else is refused with a message naming
the part, before anything is written.

Occurrences are expanded on naive local wall-clock times (dateutil.rrule) and
only then placed in the clinic's zone: a weekly 09:00 stays 09:00 local on
both sides of a daylight-saving change, so its UTC instant moves by an hour.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule

from apps.core.errors import ApplicationError

MAX_OCCURRENCES = 52
MAX_INTERVAL = 52
WEEKDAY_CODES = {
    "MO": rrule.MO,
    "TU": rrule.TU,
    "WE": rrule.WE,
    "TH": rrule.TH,
    "FR": rrule.FR,
    "SA": rrule.SA,
    "SU": rrule.SU,
}
FREQUENCIES = {"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY}
ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL"}


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_rrule", fields={"rrule": [message]})


@dataclass(frozen=True)
class Rule:
    """A parsed rule; ``text`` is its normal form (parts in a fixed order)."""

    freq: str
    interval: int
    byday: tuple[str, ...]
    count: int | None
    until: date | None

    @property
    def text(self) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(self.byday))
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)


def _int_part(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isdigit() or len(raw) > 6:
        raise _refuse(f"{name} must be a whole number.")
    value = int(raw)
    if not low <= value <= high:
        raise _refuse(f"{name} must be between {low} and {high}.")
    return value


def _until_part(raw: str) -> date:
    text = raw.upper()
    for pattern, length in (("%Y%m%d", 8), ("%Y%m%dT%H%M%S", 15), ("%Y%m%dT%H%M%SZ", 16)):
        if len(text) == length:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                break
    raise _refuse("UNTIL must be a date, YYYYMMDD (or YYYYMMDDTHHMMSSZ).")


def parse_rule(text: str) -> Rule:
    """The rule, or a 400 ``invalid_rrule`` naming what is wrong."""
    raw = text.strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:]
    if not raw or len(raw) > 200:
        raise _refuse("Give a rule such as FREQ=WEEKLY;BYDAY=MO;COUNT=10.")
    parts: dict[str, str] = {}
    for item in raw.split(";"):
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise _refuse(f"'{item[:20]}' is not NAME=VALUE.")
        if name not in ALLOWED_PARTS:
            raise _refuse(f"{name[:20]} is not supported (only {', '.join(sorted(ALLOWED_PARTS))}).")
        if name in parts:
            raise _refuse(f"{name} is given twice.")
        parts[name] = value.strip().upper()
    freq = parts.get("FREQ", "")
    if freq not in FREQUENCIES:
        raise _refuse("FREQ must be DAILY or WEEKLY.")
    interval = _int_part("INTERVAL", parts["INTERVAL"], 1, MAX_INTERVAL) if "INTERVAL" in parts else 1
    byday: tuple[str, ...] = ()
    if "BYDAY" in parts:
        if freq != "WEEKLY":
            raise _refuse("BYDAY needs FREQ=WEEKLY.")
        codes = [code.strip() for code in parts["BYDAY"].split(",")]
        unknown = [code for code in codes if code not in WEEKDAY_CODES]
        if unknown:
            raise _refuse(f"BYDAY takes MO, TU, WE, TH, FR, SA, SU, not {unknown[0][:10]}.")
        byday = tuple(sorted(set(codes), key=list(WEEKDAY_CODES).index))
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise _refuse("Give exactly one of COUNT or UNTIL.")
    count = _int_part("COUNT", parts["COUNT"], 1, MAX_OCCURRENCES) if "COUNT" in parts else None
    until = _until_part(parts["UNTIL"]) if "UNTIL" in parts else None
    return Rule(freq=freq, interval=interval, byday=byday, count=count, until=until)


def occurrences(rule: Rule, *, first_start: datetime, zone: ZoneInfo) -> list[datetime]:
    """The starts of every occurrence (aware, in ``zone``), the first at ``first_start``'s local time.

    Refuses an UNTIL before the first day and a rule that yields more than
    MAX_OCCURRENCES occurrences.
    """
    local = first_start.astimezone(zone)
    if rule.until is not None and rule.until < local.date():
        raise _refuse("UNTIL is before the start.")
    naive_start = local.replace(tzinfo=None)
    kwargs: dict[str, object] = {"dtstart": naive_start, "interval": rule.interval}
    if rule.byday:
        kwargs["byweekday"] = [WEEKDAY_CODES[code] for code in rule.byday]
    if rule.count is not None:
        kwargs["count"] = rule.count
    else:
        assert rule.until is not None
        kwargs["until"] = datetime.combine(rule.until, time.max)
    expanded = rrule.rrule(FREQUENCIES[rule.freq], **kwargs)
    starts: list[datetime] = []
    for naive in expanded:
        if len(starts) == MAX_OCCURRENCES:
            raise _refuse(f"A series has at most {MAX_OCCURRENCES} occurrences.")
        starts.append(_place(naive, zone))
    if not starts:
        raise _refuse("The rule yields no occurrence.")
    return starts


def _place(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone``; one inside a spring-forward gap moves past the gap."""
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:  # it does not exist: zoneinfo read it with the old offset
        return round_trip
    return aware


def span_of(starts: list[datetime], duration: timedelta) -> tuple[datetime, datetime]:
    return starts[0], starts[-1] + duration
