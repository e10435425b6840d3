"""Callbacks other apps register to hear that a practitioner's time may have become free.

Scheduling must not import the waitlist; the waitlist depends on scheduling.
Scheduling calls ``run_slot_freed_hooks`` where time frees up: a cancellation,
a no-show, a reschedule (the old time), new weekly hours or extra hours, a
removed day off. The callbacks run inside the change's transaction, so work
they queue with ``transaction.on_commit`` (or the job outbox) happens only if
the change commits. They must be cheap and must not refuse the change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FreedTime:
    """Time of ``practitioner_id`` in ``clinic_id`` from ``start`` (UTC) to ``end`` (None: open-ended)."""

    clinic_id: Any
    practitioner_id: Any
    start: datetime
    end: datetime | None


SlotFreedHook = Callable[[FreedTime], Any]

on_slot_freed: list[SlotFreedHook] = []


def register_slot_freed_hook(hook: SlotFreedHook) -> None:
    """Call ``hook(freed)`` inside every change that may free time (once per hook)."""
    if hook not in on_slot_freed:
        on_slot_freed.append(hook)


def run_slot_freed_hooks(*, clinic_id: Any, practitioner_id: Any, start: datetime, end: datetime | None) -> None:
    freed = FreedTime(clinic_id=clinic_id, practitioner_id=practitioner_id, start=start, end=end)
    for hook in on_slot_freed:
        hook(freed)
