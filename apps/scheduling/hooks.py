"""Callbacks other apps register so scheduling can tell them about a change without importing them.

Scheduling must not depend on billing or visits; they depend on it. An app
registers in its ``AppConfig.ready()``; the callbacks run inside the
transaction of the change (after the row lock, before the save), so one that
raises (an ApplicationError: e.g. 409 "issue a credit note first") refuses the
change and nothing is written.

* cancel: billing voids a draft invoice or refuses (409 credit_note_required);
* check_in: visits opens the appointment's visit record (issue 14: "opened at check-in").
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.scheduling.models import Appointment

AppointmentHook = Callable[["Appointment", "User"], Any]
HookedAction = Literal["cancel", "check_in"]

_hooks: dict[str, list[AppointmentHook]] = {"cancel": [], "check_in": []}


def register_hook(action: HookedAction, hook: AppointmentHook) -> None:
    """Call ``hook(appointment, actor)`` inside every ``action`` transition's transaction (once per hook)."""
    if hook not in _hooks[action]:
        _hooks[action].append(hook)


def run_hooks(action: str, appointment: "Appointment", actor: "User") -> None:
    """The registered reactions to ``action`` (none for a transition nobody hooks)."""
    for hook in _hooks.get(action, []):
        hook(appointment, actor)
