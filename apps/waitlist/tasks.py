"""Background work of the waitlist: offering freed time, sending offers, and the Beat run that expires them.

Every task is idempotent: offering twice offers nothing twice (unique
indexes), a message is sent once (claimed under a row lock), and an offer
expires once (SKIP LOCKED, status checked under the lock).
"""

from datetime import datetime
from typing import Any

from django.db import OperationalError

from apps.core.tasks import clinicops_task
from apps.jobs.runner import job_run
from apps.waitlist.notify import offer_messages_deliver
from apps.waitlist.offering import offer_freed_time as offer_time
from apps.waitlist.offering import offers_expire


def _ignore(error: Exception) -> None:
    """An offering or sending job that gave up leaves nothing half-done: the Beat run picks the rest up."""


# retry_for=(): the job outbox retries these (apps.jobs), with back-off.
@clinicops_task(name="apps.waitlist.tasks.offer_freed_time", retry_for=())
def offer_freed_time(
    clinic_id: str, practitioner_id: str, start: str, end: str | None, job_id: str | None = None
) -> int:
    """Offer the practitioner's freed time to the clinic's waitlist; returns how many offers were made."""
    made = job_run(
        job_id=job_id,
        work=lambda heartbeat: offer_time(
            clinic_id=clinic_id,
            practitioner_id=practitioner_id,
            start=datetime.fromisoformat(start),
            end=datetime.fromisoformat(end) if end else None,
        ),
        on_give_up=_ignore,
    )
    return len(made or [])


@clinicops_task(name="apps.waitlist.tasks.deliver_offer_messages", retry_for=())
def deliver_offer_messages(offer_ids: list[str], job_id: str | None = None) -> int:
    """Send the queued messages of these offers; returns how many went out."""
    sent = job_run(
        job_id=job_id, work=lambda heartbeat: offer_messages_deliver(offer_ids=offer_ids), on_give_up=_ignore
    )
    return sent or 0


@clinicops_task(name="apps.waitlist.tasks.waitlist_tick", retry_for=(OperationalError,), max_retries=3)
def waitlist_tick() -> dict[str, Any]:
    """Beat, every minute: expire overdue offers (each passes its slot on), then send any message still queued."""
    expired = offers_expire()
    return {"expired": expired, "sent": offer_messages_deliver()}
