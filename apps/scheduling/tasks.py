"""Background work of scheduling: the reminder run that Beat starts every five minutes."""

from django.db import OperationalError

from apps.core.tasks import clinicops_task
from apps.scheduling.reminders import send_due_reminders as run_reminders


@clinicops_task(name="apps.scheduling.tasks.send_due_reminders", retry_for=(OperationalError,), max_retries=3)
def send_due_reminders() -> dict[str, int]:
    """Send every due reminder once; safe to run twice, concurrently, or again after a crash."""
    return run_reminders().as_dict()
