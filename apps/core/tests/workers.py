"""Child processes of tests on the test database and Redis: their environment, and real Celery workers."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


def service_env(settings: Any, connection: Any) -> dict[str, str]:
    """The environment of a child process that uses the test database and Redis."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL}


class CeleryWorkers:
    """Real ``celery worker`` processes, one per private queue; ``stop`` ends them all (fixture teardown).

    While any runs, tasks are not eager, so ``apply_async(queue=...)`` goes to a worker.
    """

    def __init__(self, settings: Any) -> None:
        from config.celery import app

        self.app = app
        self.settings = settings
        self.processes: list[subprocess.Popen[bytes]] = []
        self.eager = app.conf.task_always_eager

    def start(
        self, extra_env: dict[str, str] | None = None, *, imports: Sequence[str] = (), log_path: Path | None = None
    ) -> str:
        """Start one worker (``-I`` each of ``imports``; output to ``log_path`` if given); returns its queue."""
        from django.db import connection

        queue = f"test-{uuid.uuid4().hex[:12]}"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "--concurrency", "1"]
        command += ["--without-gossip", "--without-mingle", "--loglevel", "WARNING", "-n", f"{queue}@%h"]
        for module in imports:
            command += ["-I", module]
        env = {**service_env(self.settings, connection), "LOG_LEVEL": "WARNING", **(extra_env or {})}
        if log_path is None:
            process = subprocess.Popen(command, cwd=REPO, env=env)
        else:
            with log_path.open("wb") as log:
                process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.app.conf.task_always_eager = False
        deadline = time.monotonic() + 30
        while not self.app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text()[-2000:] if log_path else "(see the test's output)"
                raise RuntimeError(f"celery worker did not come up: {output}")
        return queue

    def stop(self) -> None:
        self.app.conf.task_always_eager = self.eager
        for process in self.processes:
            process.terminate()
            process.wait(20)
