"""Celery signal handlers: the request id into tasks, task metrics, worker metrics files.

Connected by config/celery.py, so every process that loads the Celery app
(web, worker, Beat) gets them. Only the request id travels: the user and the
clinic of the request are not the task's, and audit actors are passed
explicitly by the services.
"""

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from celery import Task, signals

from apps.core import context

logger = logging.getLogger("clinicops.tasks")

# The message header that carries the id (protocol 2 headers reach the worker
# as attributes of ``task.request``).
REQUEST_ID_HEADER = "clinicops_request_id"

_running: dict[str, tuple[object, float]] = {}


def on_before_task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Stamps the publishing request's id on the message (a Beat tick has none)."""
    request_id = context.current().request_id
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


def _request_id_of(task: Task) -> str:
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    if not request_id:
        extra = getattr(task.request, "headers", None) or {}
        request_id = extra.get(REQUEST_ID_HEADER)
    # Eager tasks run inside the request that called them.
    return str(request_id or context.current().request_id or "")


def on_task_prerun(task_id: str, task: Task, **_: Any) -> None:
    """Opens the task's context (its request id) and starts its clock."""
    token = context.begin(context.RequestContext(request_id=_request_id_of(task)))
    _running[task_id] = (token, time.perf_counter())


def on_task_postrun(task_id: str, task: Task, state: str | None = None, **_: Any) -> None:
    """Counts the outcome, observes the run time, restores the caller's context."""
    from apps.observability import metrics

    token, started = _running.pop(task_id, (None, None))
    name = task.name or "unknown"
    if started is not None:
        metrics.celery_task_duration.labels(task=name).observe(time.perf_counter() - started)
    metrics.celery_tasks.labels(task=name, outcome=(state or "unknown").lower()).inc()
    if token is not None:
        context.end(token)


def on_worker_init(**_: Any) -> None:
    """Empties the worker's metrics directory before the pool forks (old pids' files would linger)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True, exist_ok=True)


def on_worker_ready(**_: Any) -> None:
    """Serves the worker's metrics on WORKER_METRICS_PORT, when set (token-protected like the web's)."""
    from django.conf import settings

    if settings.WORKER_METRICS_PORT and settings.METRICS_TOKEN:
        from apps.observability.exporter import serve_metrics_in_thread

        serve_metrics_in_thread(port=settings.WORKER_METRICS_PORT, token=settings.METRICS_TOKEN)


def on_worker_process_shutdown(pid: int | None = None, **_: Any) -> None:
    """Lets the live gauges of a pool child go when it exits (counters are kept)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


_in_beat = False


def on_beat_init(**_: Any) -> None:
    """Marks this process as Beat (its publishes are the heartbeat readiness reads) and beats once."""
    global _in_beat
    _in_beat = True
    from apps.core.health import record_beat_heartbeat

    record_beat_heartbeat()


def on_after_task_publish(**_: Any) -> None:
    """In Beat, every publish (at least the one-minute ``beat_heartbeat``) records that Beat is alive."""
    if _in_beat:
        from apps.core.health import record_beat_heartbeat

        record_beat_heartbeat()


def connect() -> None:
    """Connects every handler; weak=False because the functions live for the process."""
    signals.before_task_publish.connect(on_before_task_publish, weak=False)
    signals.after_task_publish.connect(on_after_task_publish, weak=False)
    signals.beat_init.connect(on_beat_init, weak=False)
    signals.task_prerun.connect(on_task_prerun, weak=False)
    signals.task_postrun.connect(on_task_postrun, weak=False)
    signals.worker_init.connect(on_worker_init, weak=False)
    signals.worker_ready.connect(on_worker_ready, weak=False)
    signals.worker_process_shutdown.connect(on_worker_process_shutdown, weak=False)
