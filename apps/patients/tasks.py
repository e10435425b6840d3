"""Background work on patients."""

from apps.core.tasks import clinicops_task
from apps.jobs.runner import job_run
from apps.patients.exports import patient_export_fail, patient_export_run


# retry_for=(): the job outbox retries (apps.jobs), with back-off, and a
# worker that died is noticed by the sweeper within minutes.
@clinicops_task(name="apps.patients.tasks.run_patient_export", retry_for=())
def run_patient_export(export_id: str, job_id: str | None = None) -> int:
    """Write one export file; idempotent (a finished export is left as it is)."""
    export = job_run(
        job_id=job_id,
        work=lambda heartbeat: patient_export_run(export_id=export_id, heartbeat=heartbeat),
        on_give_up=lambda error: patient_export_fail(export_id=export_id, error=error),
    )
    return export.row_count if export is not None else 0
