"""Celery throughput: enqueue N no-op reminder tasks, drain them with a real worker, beside redis-benchmark.

The worker is the production one (``celery -A config worker``, prefork, one
process per core, ``ENV=production`` settings: late acks, prefetch 1) with
the bench task module included. Tasks are enqueued while the worker consumes
another queue; then the worker is told to consume theirs, and the clock runs
until the queue and the unacknowledged set are empty.
"""

import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

QUEUE = "bench-reminders"


def _lpush_rate(port: int) -> float:
    done = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", "lpush", "-n", "200000", "-c", "8", "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    # "LPUSH: 81234.57 requests per second, p50=0.055 msec"
    for part in reversed(done.stdout.replace("\r", "\n").splitlines()):
        if part.startswith("LPUSH:") and "requests per second" in part:
            return float(part.split()[1])
    raise RuntimeError(f"no LPUSH rate in {done.stdout!r}")


def drain(env: dict[str, str], redis_port: int, tasks: int, work: Path, venv_bin: Path) -> dict[str, Any]:
    import redis
    from celery import current_app

    import bench.celery_tasks  # noqa: F401 - registers the task with this process's app too
    from config.celery import app

    client = redis.Redis(port=redis_port)
    client.delete(QUEUE, "unacked", "unacked_index")
    concurrency = str(os.cpu_count() or 2)
    log = (work / "celery-worker.log").open("wb")
    worker = subprocess.Popen(
        [
            str(venv_bin / "celery"),
            "-A",
            "config",
            "worker",
            "--include",
            "bench.celery_tasks",
            "-Q",
            "bench-idle",
            "-c",
            concurrency,
            "--pool",
            "prefork",
            "-l",
            "warning",
            "-n",
            f"bench-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env={**env, "CELERY_TASK_ALWAYS_EAGER": "False"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the Celery worker did not start: see {work / 'celery-worker.log'}")
        assert current_app.conf.broker_url.startswith("redis://")
        signature = app.signature("bench.reminder_noop")
        started = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for n in range(tasks):
                signature.apply_async(args=(f"n-{n}", "sms"), queue=QUEUE, producer=producer)
        enqueue_seconds = time.perf_counter() - started
        assert client.llen(QUEUE) == tasks, "every task is in the queue"
        started = time.perf_counter()
        app.control.add_consumer(QUEUE, reply=True, timeout=5)
        deadline = time.monotonic() + 600
        while client.llen(QUEUE) or client.hlen("unacked"):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not drain the queue within 10 minutes")
            time.sleep(0.02)
        drain_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    lpush = _lpush_rate(redis_port)
    return {
        "tasks": tasks,
        "worker": f"celery prefork x{concurrency} (acks_late, prefetch 1)",
        "enqueue_per_s": round(tasks / enqueue_seconds),
        "drain_per_s": round(tasks / drain_seconds),
        "drain_seconds": round(drain_seconds, 1),
        "lpush_per_s": round(lpush),
        "drain_vs_lpush": round(tasks / drain_seconds / lpush, 4),
    }
