"""Callbacks other apps register so scheduling can tell them about a change without importing them.

Scheduling must not depend on billing or visits; they depend on it. An app
registers in its ``AppConfig.ready()``; the callbacks run inside the
transaction of the change (after the row lock, before the save), so one that
raises (an ApplicationError: e.g. 409 "issue a credit note first") refuses the
change and nothing is written.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.scheduling.models import Appointment

CancelHook = Callable[["Appointment", "User"], Any]

on_appointment_cancel: list[CancelHook] = []


def register_cancel_hook(hook: CancelHook) -> None:
    """Call ``hook(appointment, actor)`` inside every cancellation's transaction (once per hook)."""
    if hook not in on_appointment_cancel:
        on_appointment_cancel.append(hook)


def run_cancel_hooks(appointment: "Appointment", actor: "User") -> None:
    for hook in on_appointment_cancel:
        hook(appointment, actor)
