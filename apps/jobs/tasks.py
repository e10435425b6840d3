"""Beat's sweeper of the job outbox."""

from apps.core.tasks import clinicops_task
from apps.jobs.services import jobs_sweep


@clinicops_task(name="apps.jobs.tasks.sweep_stale_jobs")
def sweep_stale_jobs() -> dict[str, int]:
    """Send again jobs never sent, and jobs whose worker died; safe to run twice or concurrently."""
    return jobs_sweep()
