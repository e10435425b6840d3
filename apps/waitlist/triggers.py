"""What the waitlist does when scheduling frees time: queue an offering run, after the change commits."""

from apps.jobs.services import job_enqueue
from apps.scheduling.slot_hooks import FreedTime
from apps.waitlist.selectors import anyone_waiting

OFFER_TASK = "apps.waitlist.tasks.offer_freed_time"


def slot_freed(freed: FreedTime) -> None:
    """Registered with scheduling (apps.scheduling.slot_hooks); runs in the change's transaction.

    The outbox row is written in that transaction (a rolled-back cancellation
    offers nothing) and sent when it commits; a broker that is down then only
    delays the run until the job sweeper sends it. Nobody waiting: no job.
    """
    if not anyone_waiting(clinic_id=freed.clinic_id, practitioner_id=freed.practitioner_id):
        return
    end = freed.end.isoformat() if freed.end is not None else None
    job_enqueue(task=OFFER_TASK, args=[str(freed.clinic_id), str(freed.practitioner_id), freed.start.isoformat(), end])
