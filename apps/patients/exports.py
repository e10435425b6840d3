"""Exports of all a clinic's patients, as CSV or FHIR ndjson, written by a Celery task."""

import csv
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.core.errors import ConflictError
from apps.patients.events import PatientEvent
from apps.patients.fhir import patient_resource
from apps.patients.models import DEMOGRAPHIC_FIELDS, ExportFormat, ExportStatus, Patient, PatientExport

CSV_COLUMNS = ["id", "mrn", *DEMOGRAPHIC_FIELDS, "active"]


def export_dir() -> Path:
    """Outside the static and media URLs: files leave only through the download endpoint."""
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_path(export: PatientExport) -> Path:
    return export_dir() / export.file_name


def _csv_safe(value: Any) -> str:
    # Spreadsheets run cells that start with these as formulas.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@transaction.atomic
def patient_export_request(*, actor: User, clinic_id: Any, export_format: str) -> PatientExport:
    """Record the request and queue the work once the row is committed."""
    from apps.patients.tasks import run_patient_export

    export = PatientExport.objects.create(clinic_id=clinic_id, requested_by=actor, format=export_format)
    audit_record(actor=actor, obj=export, event=PatientEvent.EXPORT_REQUEST, changes={"format": export_format})
    transaction.on_commit(lambda: run_patient_export.delay(str(export.pk)))
    return export


def patient_export_run(*, export_id: str) -> PatientExport | None:
    """Write the file; a second run of a finished export does nothing (tasks may be redelivered)."""
    with transaction.atomic():
        export = PatientExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status == ExportStatus.DONE:
            return export
        export.status = ExportStatus.RUNNING
        export.file_name = f"{export.pk}.{'csv' if export.format == ExportFormat.CSV else 'ndjson'}"
        export.save(update_fields=["status", "file_name", "updated_at"])

    target = export_path(export)
    partial = target.with_suffix(target.suffix + ".part")
    patients = Patient.objects.filter(clinic_id=export.clinic_id).order_by("mrn").iterator(chunk_size=2000)
    rows = 0
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        if export.format == ExportFormat.CSV:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for patient in patients:
                writer.writerow([_csv_safe(getattr(patient, column)) for column in CSV_COLUMNS])
                rows += 1
        else:
            for patient in patients:
                handle.write(json.dumps(patient_resource(patient), ensure_ascii=False) + "\n")
                rows += 1
    os.chmod(partial, 0o600)
    partial.replace(target)  # atomic: a download never sees half a file

    with transaction.atomic():
        export.status = ExportStatus.DONE
        export.row_count = rows
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "row_count", "finished_at", "updated_at"])
        audit_record(
            actor=export.requested_by,
            obj=export,
            event=PatientEvent.EXPORT,
            changes={"format": export.format, "rows": rows},
        )
    return export


def patient_export_open(*, actor: User, export: PatientExport) -> BinaryIO:
    """Open a finished export's file for its requester, and record the download.

    The event is the disclosure: the file holds every patient of the clinic.
    """
    if export.status != ExportStatus.DONE:
        raise ConflictError("The export is not ready.", code="export_not_ready")
    handle = open(export_path(export), "rb")  # noqa: SIM115 - the FileResponse closes it
    try:
        audit_record(
            actor=actor,
            obj=export,
            event=PatientEvent.EXPORT_DOWNLOAD,
            changes={"format": export.format, "rows": export.row_count},
        )
    except BaseException:
        handle.close()
        raise
    return handle


def patient_export_fail(*, export_id: str, error: Exception) -> None:
    PatientExport.objects.filter(pk=export_id).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error=type(error).__name__, finished_at=timezone.now()
    )
