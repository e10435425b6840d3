"""Background work of scheduling: the reminder run that Beat starts every five minutes."""

from celery import shared_task
from django.db import OperationalError

from apps.scheduling.reminders import send_due_reminders as run_reminders


@shared_task(
    name="apps.scheduling.tasks.send_due_reminders",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def send_due_reminders() -> dict[str, int]:
    """Send every due reminder once; safe to run twice, concurrently, or again after a crash."""
    return run_reminders().as_dict()
