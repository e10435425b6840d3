"""The Prometheus metrics and how a scrape collects them.

Under Gunicorn every worker is its own process, so values live in files under
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode) and a scrape
of any worker sums them all. Without that variable (runserver, tests) they live
in this process. Labels are bounded: a route is the URL pattern (never the
path, which carries ids), and the method and status come from small sets.
"""

import os
from collections.abc import Iterator

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)
_SQL_BUCKETS = (0, 1, 2, 3, 5, 10, 20, 50, 100, 200)

http_requests = Counter(
    "clinicops_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
http_request_duration = Histogram(
    "clinicops_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=_LATENCY_BUCKETS,
)
http_request_sql_statements = Histogram(
    "clinicops_http_request_sql_statements",
    "SQL statements one HTTP request ran, by route template.",
    ["route"],
    buckets=_SQL_BUCKETS,
)
celery_tasks = Counter(
    "clinicops_celery_tasks",
    "Celery tasks finished, by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)
celery_task_duration = Histogram(
    "clinicops_celery_task_duration_seconds",
    "Run time of a Celery task, by task name.",
    ["task"],
    buckets=_TASK_BUCKETS,
)


class ScrapeTimeCollector(Collector):
    """Values read when Prometheus asks: queue depth and the audit sealer's lag.

    Each read has a short timeout and is skipped when it fails, so a hung
    Redis costs the scrape REDIS_SOCKET_TIMEOUT, not the scrape.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = queue_depths()
        if depth is not None:
            family = GaugeMetricFamily(
                "clinicops_celery_queue_depth", "Messages waiting in a Celery queue (Redis LLEN).", labels=["queue"]
            )
            for queue, length in sorted(depth.items()):
                family.add_metric([queue], length)
            yield family
        from apps.core.health import oldest_unsealed_audit_age

        age = oldest_unsealed_audit_age()
        if age is not None:
            yield GaugeMetricFamily(
                "clinicops_audit_oldest_unsealed_age_seconds",
                "Age of the oldest audit event not yet in a signed checkpoint (0 when all are sealed).",
                value=age,
            )


def queue_depths() -> dict[str, int] | None:
    """LLEN of each configured Celery queue on a Redis broker, or None (no Redis, or it failed)."""
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        return None
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    timeout = settings.REDIS_SOCKET_TIMEOUT
    client = redis.Redis.from_url(
        broker, socket_connect_timeout=timeout, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        pipe = client.pipeline(transaction=False)
        for queue in settings.METRICS_CELERY_QUEUES:
            pipe.llen(queue)
        lengths = pipe.execute()
    except Exception:  # a metrics read must never break the scrape
        return None
    finally:
        client.close()
    return dict(zip(settings.METRICS_CELERY_QUEUES, (int(n) for n in lengths), strict=True))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape() -> bytes:
    """The text exposition of every metric: all processes' in multiprocess mode, plus scrape-time reads."""
    path = multiprocess_dir()
    if path:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    at_scrape = CollectorRegistry()
    at_scrape.register(ScrapeTimeCollector())
    return body + generate_latest(at_scrape)
