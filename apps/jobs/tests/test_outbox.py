"""The outbox's rules, in-process (tasks eager): claims, back-off, giving up, private files."""

import os
import stat
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.roles import Role
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import jobs_sweep
from apps.patients.models import ExportStatus, PatientExport
from apps.patients.services import patient_export_request
from apps.patients.tasks import run_patient_export
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def export_with_job(clinic, django_capture_on_commit_callbacks, *, execute=True):
    with django_capture_on_commit_callbacks(execute=execute):
        export = patient_export_request(actor=clinic.staff[Role.OWNER], clinic_id=clinic.pk, export_format="csv")
    return export, Job.objects.get(args=[str(export.pk)])


def test_an_export_file_is_0600_whatever_the_umask(clinic, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    PatientFactory(clinic=clinic)
    previous = os.umask(0)
    try:
        export, job = export_with_job(clinic, django_capture_on_commit_callbacks)
    finally:
        os.umask(previous)
    export.refresh_from_db()
    assert (export.status, job.status) == (ExportStatus.DONE, JobStatus.DONE)
    assert stat.S_IMODE((tmp_path / "exports" / export.file_name).stat().st_mode) == 0o600


def test_a_duplicate_message_of_a_finished_job_does_nothing(
    clinic, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    PatientFactory(clinic=clinic)
    export, job = export_with_job(clinic, django_capture_on_commit_callbacks)
    assert run_patient_export(str(export.pk), job_id=str(job.pk)) == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


def test_a_failing_export_backs_off_then_fails_and_leaves_no_partial_file(
    clinic, django_capture_on_commit_callbacks, settings, tmp_path
):
    # The export directory cannot be created: every attempt fails with OSError.
    blocker = tmp_path / "media"
    blocker.write_text("a file where the media directory should be")
    settings.MEDIA_ROOT = blocker
    settings.JOBS_MAX_ATTEMPTS = 3
    PatientFactory(clinic=clinic)
    export, job = export_with_job(clinic, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobStatus.QUEUED, 1, "NotADirectoryError")
    assert job.available_at > timezone.now() + timedelta(seconds=25)  # 30 s back-off
    assert jobs_sweep()["sent"] == 0  # not before its time

    for attempt in (2, 3):
        jobs_sweep(now=timezone.now() + timedelta(minutes=10))
        job.refresh_from_db()
        assert job.attempts == attempt
    assert job.status == JobStatus.FAILED
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error == "NotADirectoryError"
    assert jobs_sweep(now=timezone.now() + timedelta(hours=1)) == {"reset": 0, "sent": 0, "not_sent": 0}


def test_a_job_whose_runs_keep_dying_fails_after_its_attempts(
    clinic, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    export, job = export_with_job(clinic, django_capture_on_commit_callbacks, execute=False)
    # As if three workers had claimed it and died.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=3, heartbeat_at=timezone.now())
    PatientExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING)
    assert jobs_sweep(now=timezone.now() + timedelta(minutes=3))["reset"] == 1
    job.refresh_from_db()
    export.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert export.status == ExportStatus.FAILED


def test_a_live_run_is_left_alone_and_a_sent_job_is_resent_only_when_stale(
    clinic, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _export, job = export_with_job(clinic, django_capture_on_commit_callbacks, execute=False)
    Job.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())  # sent, not started yet
    assert jobs_sweep() == {"reset": 0, "sent": 0, "not_sent": 0}
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1, heartbeat_at=timezone.now())
    assert jobs_sweep(now=timezone.now() + timedelta(seconds=60)) == {"reset": 0, "sent": 0, "not_sent": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
