"""Writing exports of all a clinic's patients, as CSV or FHIR ndjson (the Celery task's work).

The request is a service (``apps.patients.services.patient_export_request``).
"""

import csv
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TextIO

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


def _open_private(path: Path) -> int:
    """Create ``path`` for writing, readable by its owner only from the first byte.

    O_EXCL refuses an existing file (or a planted symlink); the umask can only
    narrow 0600, and fchmod makes it exactly 0600 whatever the umask was.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    os.fchmod(fd, 0o600)
    return fd


def partial_files(export: PatientExport) -> list[Path]:
    """Unfinished files of earlier attempts of this export (their worker died)."""
    return sorted(export_dir().glob(f"{export.pk}.*.part"))


def patient_export_run(*, export_id: str, heartbeat: Callable[[], None] = lambda: None) -> PatientExport | None:
    """Write the file; a second run of a finished export does nothing (tasks may be redelivered).

    Written under a temporary name, renamed into place when complete, removed
    on failure; a re-run first removes what a killed attempt left behind.
    ``heartbeat`` is called as rows are written (the job sweeper's liveness signal).
    """
    with transaction.atomic():
        export = PatientExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status == ExportStatus.DONE:
            return export
        export.status = ExportStatus.RUNNING
        export.file_name = f"{export.pk}.{'csv' if export.format == ExportFormat.CSV else 'ndjson'}"
        export.save(update_fields=["status", "file_name", "updated_at"])

    for leftover in partial_files(export):
        leftover.unlink(missing_ok=True)
    target = export_path(export)
    partial = export_dir() / f"{export.pk}.{secrets.token_hex(8)}.part"
    try:
        with os.fdopen(_open_private(partial), "w", newline="", encoding="utf-8") as handle:
            rows = _write_rows(export, handle, heartbeat)
        partial.replace(target)  # atomic: a download never sees half a file
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

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


def _write_rows(export: PatientExport, handle: TextIO, heartbeat: Callable[[], None]) -> int:
    patients = Patient.objects.filter(clinic_id=export.clinic_id).order_by("mrn").iterator(chunk_size=2000)
    rows = 0
    if export.format == ExportFormat.CSV:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        handle.flush()
        for patient in patients:
            writer.writerow([_csv_safe(getattr(patient, column)) for column in CSV_COLUMNS])
            rows += 1
            if rows % 500 == 0:
                heartbeat()
    else:
        for patient in patients:
            handle.write(json.dumps(patient_resource(patient), ensure_ascii=False) + "\n")
            rows += 1
            if rows % 500 == 0:
                heartbeat()
    return rows


def patient_export_fail(*, export_id: str, error: Exception) -> None:
    PatientExport.objects.filter(pk=export_id).exclude(status=ExportStatus.DONE).update(
        status=ExportStatus.FAILED, error=type(error).__name__, finished_at=timezone.now()
    )
