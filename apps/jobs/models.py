"""The outbox of background jobs that a request starts (patient exports)."""

from django.db import models

from apps.core.models import BaseModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(BaseModel):
    """One run-to-completion job, written in the transaction of the request that starts it.

    The row, not the broker message, is the truth: a message lost with a Redis
    outage or a worker killed mid-run leaves the row `queued` or `running`
    with an old heartbeat, and the Beat sweeper sends it again. A run first
    claims the row, so a duplicate message does nothing.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # Not sent before this instant (back-off after a failed attempt).
    available_at = models.DateTimeField()
    # Last time a message was handed to the broker; null while it never was.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            # The sweeper's two scans; finished jobs are not in them.
            models.Index(
                fields=["status", "available_at"],
                name="jobs_job_pending_idx",
                condition=models.Q(status__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"job {self.task} ({self.status})"
