"""Gunicorn configuration, used by every production start command.

Binds 0.0.0.0:$PORT (Railway injects PORT). Workers come from
WEB_CONCURRENCY, else the CPUs this container may use + 1; threads from
GUNICORN_THREADS, else 1 (sync workers). Why, measured in one run on 2 cores
(docs/performance.md, `make bench FULL=1`): sync workers at cores + 1 served
the same throughput as 2 x cores + 1 (-2% geometric mean over the read
endpoints, inside the run's noise) with the lowest p99 (92 ms against 109)
and 3 workers' memory instead of 5; the guide's gthread 4 x 2 had the worst
p99 (178 ms).
"""

import json
import math
import os
from pathlib import Path


def available_cpus() -> int:
    """CPUs this process may really use: the cgroup v2 quota, else the affinity mask.

    ``multiprocessing.cpu_count()`` reports the host's cores; on a shared
    platform host that can be 32+ and would start far more workers than the
    container's memory holds.
    """
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cpus


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", available_cpus() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Must fit inside the platform's drain time (railway.toml drainingSeconds).
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory: a container's disk-backed /tmp can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# JSON lines like the application's logs; the path only, never the query
# string (search terms can be patient names).
access_log_format = json.dumps(
    {
        "logger": "gunicorn.access",
        "method": "%(m)s",
        "path": "%(U)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_ms": "%(M)s",
        "request_id": "%({x-request-id}o)s",
    }
)


# --- Prometheus multiprocess mode (apps/observability/metrics.py) ---------------
# With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files
# there and a scrape of any worker sums them. The directory must start empty
# (files of a previous run's pids would be summed too) and must not be shared
# between containers; a tmpfs such as /dev/shm/... keeps writes off the disk.
def on_starting(server: object) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True, exist_ok=True)


def child_exit(server: object, worker: object) -> None:
    # Live gauges of a dead worker would otherwise be reported forever.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
