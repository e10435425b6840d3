"""The task side of a job: claim the row, work with a heartbeat, record the outcome."""

from collections.abc import Callable
from typing import TypeVar

from apps.jobs.services import JobGaveUp, job_attempt_failed, job_claim, job_finish, job_heartbeat_every

T = TypeVar("T")


def job_run(
    *, job_id: str | None, work: Callable[[Callable[[], None]], T], on_give_up: Callable[[Exception], None]
) -> T | None:
    """Run ``work(heartbeat)`` as the job's current attempt; None when there is nothing to do.

    A message without a job id (sent before the outbox existed) just runs. A
    duplicate message of a finished or running job does nothing. A failed
    attempt is queued again with back-off; when no attempt is left (the last
    one failed, or its runs kept dying) ``on_give_up`` marks the domain row failed.
    """
    if job_id is None:
        return work(lambda: None)
    try:
        if job_claim(job_id=job_id) is None:
            return None
    except JobGaveUp as exc:
        on_give_up(exc)
        return None
    try:
        result = work(job_heartbeat_every(job_id=job_id))
    except Exception as exc:
        if not job_attempt_failed(job_id=job_id, error=exc):
            on_give_up(exc)
        return None
    job_finish(job_id=job_id)
    return result
