"""Writes of the job outbox: enqueue on commit, claim, heartbeat, finish, sweep.

Nothing here knows a domain app: a job names its Celery task and its
arguments, and the task (see ``apps.jobs.runner``) claims the row before it
works, so sending the same job twice is harmless.
"""

import importlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.jobs.models import Job, JobStatus

logger = logging.getLogger("clinicops.jobs")
SEND_TIMEOUT_SECONDS = 1.0


class JobGaveUp(Exception):
    """A job used all its attempts; its task's failure handler marks the domain row failed."""


def _seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=int(getattr(settings, name, default)))


def job_enqueue(*, task: str, args: list[Any]) -> Job:
    """Record a job in the caller's transaction and send it once that commits.

    A broker that is down at commit time only leaves the row `queued`: the
    request still succeeds and the sweeper sends the job when the broker is back.
    """
    job = Job.objects.create(task=task, args=args, available_at=timezone.now())
    transaction.on_commit(lambda: job_send(job_id=str(job.pk)))
    return job


def _short_broker_connection() -> Any:
    """A broker connection that gives up after one quick retry instead of kombu's ~6 s."""
    connection = current_app.connection_for_write()
    quick = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
    return connection.clone(
        connect_timeout=SEND_TIMEOUT_SECONDS, transport_options={**(connection.transport_options or {}), **quick}
    )


def job_send(*, job_id: str) -> bool:
    """Hand the job to the broker; False (logged, never raised) if the broker refused it."""
    job = Job.objects.filter(pk=job_id).only("task", "args").first()
    if job is None:
        return False
    try:
        # The task's module may not be imported yet in a web process (Celery discovers tasks lazily).
        importlib.import_module(job.task.rsplit(".", 1)[0])
        # A request must not wait out kombu's connection retries (4 s) nor its
        # publish retries: one short attempt, and the sweeper retries.
        with _short_broker_connection() as broker:
            options: dict[str, Any] = {"retry": False, "connection": broker}
            current_app.tasks[job.task].apply_async(args=job.args, kwargs={"job_id": job_id}, **options)
    except Exception as exc:  # any broker error: the outbox row is the retry
        logger.warning("job not sent; the sweeper will send it", extra={"job_id": job_id, "error": type(exc).__name__})
        return False
    Job.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    return True


def job_claim(*, job_id: str) -> Job | None:
    """Mark a queued job running for this attempt; None if it is finished or another run holds it.

    Raises JobGaveUp when the job has no attempt left (its last run died).
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != JobStatus.QUEUED:
            return None
        now = timezone.now()
        gave_up = job.attempts >= settings.JOBS_MAX_ATTEMPTS
        if gave_up:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.error = job.error or "attempts exhausted"
            job.save(update_fields=["status", "finished_at", "error", "updated_at"])
        else:
            job.status, job.attempts = JobStatus.RUNNING, job.attempts + 1
            job.started_at = job.heartbeat_at = now
            job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "updated_at"])
    if gave_up:  # raised after the commit, which keeps the job failed
        raise JobGaveUp(job_id)
    return job


def job_heartbeat(*, job_id: str) -> None:
    """Tell the sweeper this run is alive (autocommit: it must be visible while the run goes on)."""
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


def job_finish(*, job_id: str) -> None:
    """The run completed."""
    Job.objects.filter(pk=job_id).update(status=JobStatus.DONE, finished_at=timezone.now(), error="")


def job_attempt_failed(*, job_id: str, error: Exception) -> bool:
    """Queue the job again after a back-off; False (and the job failed) when no attempt is left."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        now = timezone.now()
        job.error = type(error).__name__[:200]
        if job.attempts >= settings.JOBS_MAX_ATTEMPTS:
            job.status, job.finished_at = JobStatus.FAILED, now
            job.save(update_fields=["status", "finished_at", "error", "updated_at"])
            return False
        # 30 s, 60 s, 120 s ...: the sweeper sends it once available_at has passed.
        job.status, job.enqueued_at = JobStatus.QUEUED, None
        job.available_at = now + timedelta(seconds=30 * 2 ** (job.attempts - 1))
        job.save(update_fields=["status", "enqueued_at", "available_at", "error", "updated_at"])
        return True


def job_heartbeat_every(*, job_id: str | None, seconds: float = 10.0) -> Callable[[], None]:
    """A callable that long work calls often; it writes a heartbeat at most every ``seconds``."""
    last = time.monotonic()

    def beat() -> None:
        nonlocal last
        if job_id is not None and time.monotonic() - last >= seconds:
            job_heartbeat(job_id=job_id)
            last = time.monotonic()

    return beat


def jobs_sweep(
    *,
    now: datetime | None = None,
    running_stale_after: timedelta | None = None,
    queued_resend_after: timedelta | None = None,
) -> dict[str, int]:
    """Send again what was lost: jobs never sent or sent long ago, and runs whose worker died.

    A `running` job without a heartbeat for ``running_stale_after`` (default
    JOBS_RUNNING_STALE_SECONDS) is queued again: its worker is gone, and the
    broker would only redeliver its message after the visibility timeout (an
    hour). A `queued` job never sent, or sent ``queued_resend_after`` ago
    without starting, is sent again. Idempotent: the claim makes a duplicate
    message a no-op.
    """
    now = now or timezone.now()
    running_stale_after = running_stale_after or _seconds("JOBS_RUNNING_STALE_SECONDS", 120)
    queued_resend_after = queued_resend_after or _seconds("JOBS_QUEUED_RESEND_SECONDS", 300)
    reset = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - running_stale_after).update(
        status=JobStatus.QUEUED, enqueued_at=None, available_at=now, error="worker lost"
    )
    if reset:
        logger.warning("jobs whose worker died were queued again", extra={"count": reset})
    due = Job.objects.filter(status=JobStatus.QUEUED, available_at__lte=now).filter(
        enqueued_at__isnull=True
    ) | Job.objects.filter(status=JobStatus.QUEUED, available_at__lte=now, enqueued_at__lt=now - queued_resend_after)
    sent = failed = 0
    for job_id in due.order_by("available_at").values_list("pk", flat=True)[:500]:
        if job_send(job_id=str(job_id)):
            sent += 1
        else:
            failed += 1
    return {"reset": reset, "sent": sent, "not_sent": failed}
