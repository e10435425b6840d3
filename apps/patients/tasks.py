"""Background work on patients."""

from typing import Any

from celery import Task, shared_task

from apps.patients.exports import patient_export_fail, patient_export_run


class ExportTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        patient_export_fail(export_id=args[0], error=exc)


@shared_task(
    base=ExportTask,
    name="apps.patients.tasks.run_patient_export",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def run_patient_export(export_id: str) -> int:
    """Write one export file; idempotent (a finished export is left as it is)."""
    export = patient_export_run(export_id=export_id)
    return export.row_count if export is not None else 0
