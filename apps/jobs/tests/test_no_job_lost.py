"""No job lost: a whole worker killed mid-export, and the broker down during the request.

Real parts only: real worker processes (the root conftest's factory), the
test database, a private redis-server that the test stops and starts.
"""

import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.core.roles import Role
from apps.jobs.models import Job, JobStatus
from apps.jobs.services import jobs_sweep
from apps.patients.models import ExportStatus, PatientExport
from apps.patients.tests.factories import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
EXPORT_TASK = "apps.patients.tasks.run_patient_export"


def wait_for(condition: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def route_exports_to() -> Iterator[Callable[[str], None]]:
    """Send export tasks (first sends and the sweeper's) to a test worker's private queue."""
    from config.celery import app as celery_app

    app: Any = celery_app
    saved = app.conf.task_routes

    def route(queue: str) -> None:
        app.conf.task_routes = {EXPORT_TASK: {"queue": queue}}
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()

    yield route
    app.conf.task_routes = saved
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()


def kill_whole_worker(queue: str) -> int:
    """SIGKILL the worker's main process and its pool children (every process serving ``queue``)."""
    killed = 0
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in cmdline and queue.encode() in cmdline:
            os.kill(int(pid), signal.SIGKILL)
            killed += 1
    return killed


def patients_table_lock() -> psycopg.Connection:
    """Hold an ACCESS EXCLUSIVE lock on the patients table: an export blocks on its first read."""
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])
    holder.execute("LOCK TABLE patients_patient IN ACCESS EXCLUSIVE MODE")
    return holder


def request_export(as_user, clinic):
    client = as_user(clinic.staff[Role.OWNER])
    return client.post(reverse("patient-export-list"), {"clinic": str(clinic.pk), "format": "csv"})


def test_a_worker_killed_mid_export_is_swept_and_the_export_completes(
    celery_worker_factory, route_exports_to, as_user, clinic, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    exports = tmp_path / "exports"
    PatientFactory.create_batch(30, clinic=clinic)
    first_queue = celery_worker_factory({"MEDIA_ROOT": str(tmp_path)})
    route_exports_to(first_queue)

    lock = patients_table_lock()
    try:
        response = request_export(as_user, clinic)
        assert response.status_code == 202, response.content
        export = PatientExport.objects.get(pk=response.data["id"])
        job = Job.objects.get(task=EXPORT_TASK, args=[str(export.pk)])
        # The run has claimed the job, opened its partial file and waits on the lock.
        wait_for(lambda: list(exports.glob("*.part")), what="the partial file")
        partial = next(exports.glob("*.part"))
        assert stat.S_IMODE(partial.stat().st_mode) == 0o600
        assert kill_whole_worker(first_queue) >= 2  # main process and its pool child
    finally:
        lock.close()

    job.refresh_from_db()
    export.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert export.status == ExportStatus.RUNNING
    assert partial.exists()  # the dead run could not clean up

    # A sweep before the heartbeat is stale leaves a possibly live run alone ...
    assert jobs_sweep()["reset"] == 0
    # ... one after JOBS_RUNNING_STALE_SECONDS (minutes, not the hour-long visibility timeout) sends it again.
    second_queue = celery_worker_factory({"MEDIA_ROOT": str(tmp_path)})
    route_exports_to(second_queue)
    later = timezone.now() + timedelta(seconds=settings.JOBS_RUNNING_STALE_SECONDS + 1)
    assert jobs_sweep(now=later) == {"reset": 1, "sent": 1, "not_sent": 0}

    wait_for(lambda: PatientExport.objects.get(pk=export.pk).status == ExportStatus.DONE, what="the re-run")
    export.refresh_from_db()
    job.refresh_from_db()
    assert export.row_count == 30
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert not list(exports.glob("*.part"))
    final = exports / export.file_name
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert len(final.read_text().splitlines()) == 31  # header + every patient once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test's own, which it may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=self.workdir, stdout=subprocess.DEVNULL)
        wait_for(self.answers, timeout=10, what="redis-server")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker, dropping pooled connections."""
    from config.celery import app as celery_app

    app: Any = celery_app

    app.conf.broker_url = url
    # Dropped, not closed: the pools are kombu's process-wide ones, keyed by URL, and reused later.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    from config.celery import app

    saved = app.conf.broker_url
    redis = PrivateRedis(tmp_path)
    redis.start()
    use_broker(redis.url)
    yield redis
    redis.stop()
    use_broker(saved)


def test_broker_down_during_the_request_answers_202_and_the_sweeper_runs_it_later(
    celery_worker_factory, route_exports_to, private_redis, as_user, clinic, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    PatientFactory.create_batch(3, clinic=clinic)
    from config.celery import app

    app.conf.task_always_eager = False  # what a worker-backed deployment does
    private_redis.stop()

    started = time.monotonic()
    response = request_export(as_user, clinic)
    took = time.monotonic() - started
    assert response.status_code == 202, response.content
    assert response.data["status"] == "queued"
    export = PatientExport.objects.get(pk=response.data["id"])
    job = Job.objects.get(task=EXPORT_TASK, args=[str(export.pk)])
    assert (job.status, job.enqueued_at) == (JobStatus.QUEUED, None)
    assert took < 5, f"the request waited {took:.1f} s on the dead broker"

    # While the broker is still down, a sweep sends nothing and loses nothing.
    assert jobs_sweep() == {"reset": 0, "sent": 0, "not_sent": 1}

    private_redis.start()
    queue = celery_worker_factory({"MEDIA_ROOT": str(tmp_path), "REDIS_URL": private_redis.url})
    route_exports_to(queue)
    assert jobs_sweep() == {"reset": 0, "sent": 1, "not_sent": 0}
    wait_for(lambda: PatientExport.objects.get(pk=export.pk).status == ExportStatus.DONE, what="the export")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    assert PatientExport.objects.get(pk=export.pk).row_count == 3
