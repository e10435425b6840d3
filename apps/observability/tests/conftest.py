"""A real Celery worker that also loads the probe tasks and keeps its log lines for the test."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def service_env(settings, connection) -> dict[str, str]:
    """The environment of a child process that uses the test database and Redis."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL}


@pytest.fixture
def probe_worker_factory(transactional_db, settings, tmp_path):
    """``start(extra_env)`` starts a worker on a private queue and returns ``(queue, log_path)``."""
    from django.db import connection

    from config.celery import app

    processes = []
    eager = app.conf.task_always_eager

    def start(extra_env=None):
        queue = f"obs-{uuid.uuid4().hex[:12]}"
        log_path = tmp_path / f"{queue}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--concurrency", "1"]
        command += ["--without-gossip", "--without-mingle", "-n", f"{queue}@%h"]
        command += ["-I", "apps.observability.tests.probe_tasks"]
        env = {**service_env(settings, connection), "LOG_LEVEL": "WARNING", **(extra_env or {})}
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        app.conf.task_always_eager = False
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not come up: {log_path.read_text()[-2000:]}")
        return queue, log_path

    try:
        yield start
    finally:
        app.conf.task_always_eager = eager
        for process in processes:
            process.terminate()
            process.wait(20)


@pytest.fixture
def probe_worker(probe_worker_factory):
    """One worker with the test environment; yields ``(queue, log_path)``."""
    return probe_worker_factory()
