"""The bench's Celery task: a reminder's size and delivery options, with nothing to do.

Loaded by the bench's worker only (``celery worker --include bench.celery_tasks``),
never by the application.
"""

from celery import shared_task


@shared_task(name="bench.reminder_noop", acks_late=True, reject_on_worker_lost=True, max_retries=3)
def reminder_noop(notification_id: str, channel: str) -> None:
    """What a reminder delivery gets (an id and a channel); does nothing with it."""
    return None
