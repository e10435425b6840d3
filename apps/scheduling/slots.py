"""Turning weekly hours in a clinic's local time into free slots as UTC instants.

Windows are computed per local date: the wall-clock start and end are placed
on that date in the clinic's zone (so 09:00 is 09:00 on both sides of a
daylight-saving change), then slots are stepped in real time from the start.
A window that spans the change itself is as long as the clock says it was: the
hour that does not exist in spring offers no slots, the repeated autumn hour
offers twice as many.
"""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apps.scheduling.models import Availability, AvailabilityException, ExceptionKind


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: "Interval") -> bool:
        # Half-open: an appointment ending at 10:00 and one starting at 10:00 touch, they do not overlap.
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Window:
    """Bookable time on one local date: [start, end) in UTC, cut into slots of ``slot``."""

    start: datetime
    end: datetime
    slot: timedelta

    def contains(self, interval: Interval) -> bool:
        return self.start <= interval.start and interval.end <= self.end


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date.

    A time that does not exist (inside the spring-forward gap) lands after the
    gap; a repeated autumn time means its first occurrence (fold=0).
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_day_bounds(day_from: date, day_to: date, zone: ZoneInfo) -> Interval:
    """From local midnight starting ``day_from`` to local midnight ending ``day_to``, in UTC."""
    return Interval(local_instant(day_from, time(0), zone), local_instant(day_to + timedelta(days=1), time(0), zone))


@dataclass(frozen=True)
class DayPlan:
    windows: list[Window]
    blocked: list[Interval]

    def admits(self, interval: Interval) -> bool:
        """Does ``interval`` fit inside one window and clear of every blocked interval?"""
        inside = any(window.contains(interval) for window in self.windows)
        return inside and not any(block.overlaps(interval) for block in self.blocked)


def day_plan(
    day: date, zone: ZoneInfo, weekly: Iterable[Availability], exceptions: Iterable[AvailabilityException]
) -> DayPlan:
    """The windows and blocked intervals of one local date, after that date's exceptions."""
    todays = [exception for exception in exceptions if exception.date == day]
    if any(e.kind == ExceptionKind.UNAVAILABLE and e.start_time is None for e in todays):
        return DayPlan(windows=[], blocked=[])
    windows = [
        Window(
            local_instant(day, a.start_time, zone),
            local_instant(day, a.end_time, zone),
            timedelta(minutes=a.slot_minutes),
        )
        for a in weekly
        if a.weekday == day.weekday()
    ]
    blocked = []
    for e in todays:
        if e.start_time is None or e.end_time is None:
            continue
        interval = Interval(local_instant(day, e.start_time, zone), local_instant(day, e.end_time, zone))
        if e.kind == ExceptionKind.AVAILABLE:
            windows.append(Window(interval.start, interval.end, timedelta(minutes=e.slot_minutes or 30)))
        else:
            blocked.append(interval)
    return DayPlan(windows=[w for w in windows if w.start < w.end], blocked=blocked)


class BusyTimes:
    """Sorted, merged busy intervals, asked "does this slot collide?" in O(log n)."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def collides(self, interval: Interval) -> bool:
        # The last busy interval starting before the slot ends is the only candidate (they are disjoint).
        index = bisect_right(self._starts, interval.end) - 1
        while index >= 0 and self._starts[index] == interval.end:
            index -= 1
        return index >= 0 and self._ends[index] > interval.start


def free_slots_between(
    *,
    day_from: date,
    day_to: date,
    zone: ZoneInfo,
    weekly: Sequence[Availability],
    exceptions: Sequence[AvailabilityException],
    busy: BusyTimes,
    not_before: datetime,
) -> list[Interval]:
    """Every free slot on the local dates ``day_from``..``day_to`` that starts at or after ``not_before``."""
    found: set[Interval] = set()
    day = day_from
    while day <= day_to:
        plan = day_plan(day, zone, weekly, exceptions)
        for window in plan.windows:
            start = window.start
            while start + window.slot <= window.end:
                slot = Interval(start, start + window.slot)
                start += window.slot
                if slot.start < not_before or busy.collides(slot):
                    continue
                if any(block.overlaps(slot) for block in plan.blocked):
                    continue
                found.add(slot)
        day += timedelta(days=1)
    return sorted(found)
