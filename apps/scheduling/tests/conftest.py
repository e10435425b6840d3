import os

import pytest

from apps.core.roles import Role
from apps.scheduling.tests.factories import open_all_week


@pytest.fixture
def practitioner(clinic):
    """The clinic's practitioner, available 08:00-18:00 local every day."""
    user = clinic.staff[Role.PRACTITIONER]
    open_all_week(clinic, user)
    return user


@pytest.fixture
def second_practitioner(clinic):
    from apps.clinics.tests.factories import MembershipFactory

    user = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
    open_all_week(clinic, user)
    return user


@pytest.fixture
def sms_outbox(settings):
    from apps.scheduling.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "apps.scheduling.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox


@pytest.fixture
def celery_worker_with_env(transactional_db, settings):
    """Like the root ``celery_worker_process``, with extra environment for the worker.

    ``start(env)`` returns the queue name; the worker is stopped at teardown
    (its pool processes may be killed by the test in between: acks_late and
    reject_on_worker_lost must then hand the task to a fresh one).
    """
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from django.db import connection

    from config.celery import app

    processes = []
    eager = app.conf.task_always_eager

    def start(extra_env):
        db = connection.settings_dict
        database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        queue = f"test-{uuid.uuid4().hex[:12]}"
        env = {**os.environ, "ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL, **extra_env}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
                "-n",
                f"{queue}@%h",
            ],
            cwd=Path(__file__).resolve().parents[3],
            env=env,
        )
        processes.append(process)
        app.conf.task_always_eager = False
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("celery worker did not come up")
        return queue

    try:
        yield start
    finally:
        app.conf.task_always_eager = eager
        for process in processes:
            process.terminate()
            process.wait(20)
