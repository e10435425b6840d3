"""Liveness (``/health/``: the database and Redis) and readiness (``/health/ready/``:
also a worker answering and Beat fresh), each within a short timeout."""

import importlib
import logging
import threading
import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from redis.backoff import NoBackoff
from redis.retry import Retry


def check_database() -> str | None:
    """None when the default database answers ``SELECT 1``, else the error class."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return type(exc).__name__
    return None


logger = logging.getLogger("clinicops.health")

# Where Beat records its last publish (apps.observability.task_signals).
BEAT_HEARTBEAT_KEY = "clinicops:beat:heartbeat"


def _redis_client() -> redis.Redis:
    timeout = settings.REDIS_SOCKET_TIMEOUT
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def check_redis() -> str | None:
    """None when Redis answers PING within REDIS_SOCKET_TIMEOUT (or none is configured)."""
    if not settings.REDIS_URL:
        return None
    client = _redis_client()
    try:
        client.ping()
    except Exception as exc:  # timeouts, refused connections, auth errors
        return type(exc).__name__
    finally:
        client.close()
    return None


def health_response() -> JsonResponse:
    """200 ``{"status": "ok"}`` or 503 naming what is down."""
    results = {"database": check_database(), "redis": check_redis()}
    checks = {name: "ok" if error is None else "down" for name, error in results.items()}
    if not settings.REDIS_URL:
        checks["redis"] = "not_configured"
    down = sorted(name for name, error in results.items() if error is not None)
    if down:
        body = {
            "status": "unavailable",
            "code": "service_unavailable",
            "message": f"Down: {', '.join(down)}",
            "down": down,
            "checks": checks,
        }
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "checks": checks})


def record_beat_heartbeat(now: float | None = None) -> None:
    """Beat calls this on every publish; a failure is logged, never raised into Beat."""
    if not settings.REDIS_URL:
        return
    client = _redis_client()
    try:
        client.set(BEAT_HEARTBEAT_KEY, repr(time.time() if now is None else now))
    except Exception as exc:
        logger.warning("beat heartbeat not recorded", extra={"error": type(exc).__name__})
    finally:
        client.close()


def beat_heartbeat_age() -> float | None:
    """Seconds since Beat last published, or None when it never did (or Redis failed)."""
    client = _redis_client()
    try:
        raw = client.get(BEAT_HEARTBEAT_KEY)
    except Exception:
        return None
    finally:
        client.close()
    return None if raw is None else max(0.0, time.time() - float(raw))


def check_beat(age: float | None) -> str | None:
    """None when Beat published within READY_BEAT_MAX_AGE_SECONDS, else ``never`` or ``stale``."""
    if age is None:
        return "never"
    return None if age <= settings.READY_BEAT_MAX_AGE_SECONDS else "stale"


def _ping_workers(timeout: float) -> str | None:
    from celery import current_app

    # Its own connection with short socket timeouts (the broker's defaults wait
    # seconds), and its own producer: the app's pooled producers retry a lost
    # broker for as long as it takes.
    connection = current_app.connection_for_write(
        url=settings.CELERY_BROKER_URL,
        transport_options={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "max_retries": 0,
            # Replies are read with BRPOP, which waits polling_interval (default 1 s: longer than the timeout).
            "polling_interval": 0.1,
        },
    )
    try:
        mailbox = current_app.control.mailbox(connection)  # type: ignore[attr-defined]
        mailbox._producer_pool = None  # publish on this connection's channel, not the app's pool
        replies = mailbox._broadcast("ping", {}, reply=True, timeout=timeout, limit=1)
    except Exception as exc:
        return type(exc).__name__
    finally:
        connection.release()
    return None if replies else "no_reply"


def check_worker() -> str | None:
    """None when at least one Celery worker answers a control ping within READY_WORKER_TIMEOUT.

    The ping runs on a daemon thread the probe stops waiting for shortly after
    the timeout, whatever the broker does meanwhile.
    """
    timeout = settings.READY_WORKER_TIMEOUT
    outcome: list[str | None] = []
    thread = threading.Thread(target=lambda: outcome.append(_ping_workers(timeout)), name="ready-ping", daemon=True)
    thread.start()
    thread.join(timeout + 0.3)
    return outcome[0] if outcome else "timeout"


def oldest_unsealed_audit_age() -> float | None:
    """The audit sealer's lag when the audit app offers it (the sealer ships on its own branch)."""
    # Looked up by name: the function arrives with the audit sealer's branch.
    selector = getattr(importlib.import_module("apps.audit.selectors"), "oldest_unsealed_age_seconds", None)
    if selector is None:
        return None
    try:
        age = selector()
    except Exception:
        return None
    return None if age is None else round(float(age), 3)


def ready_response() -> JsonResponse:
    """200 when the database, Redis, a worker and Beat are all fine; else 503 naming what failed.

    Without REDIS_URL (the embedded default: eager tasks, no Beat) worker and
    Beat are ``not_configured``. When Redis is down, they are ``unknown``
    rather than tried: both go through Redis, and trying would only add its
    timeout to the answer.
    """
    results: dict[str, str | None] = {"database": check_database(), "redis": check_redis()}
    checks = {name: "ok" if error is None else "down" for name, error in results.items()}
    if not settings.REDIS_URL:
        checks.update(redis="not_configured", worker="not_configured", beat="not_configured")
    elif results["redis"] is not None:
        checks.update(worker="unknown", beat="unknown")
    body: dict[str, object] = {"status": "ok", "checks": checks}
    if settings.REDIS_URL and results["redis"] is None:
        results["worker"] = check_worker()
        beat_age = beat_heartbeat_age()
        results["beat"] = check_beat(beat_age)
        checks["worker"] = "ok" if results["worker"] is None else "down"
        checks["beat"] = results["beat"] or "ok"
        if beat_age is not None:
            body["beat_age_seconds"] = round(beat_age, 3)
    failed = sorted(name for name, error in results.items() if error is not None)
    audit_age = oldest_unsealed_audit_age()
    if audit_age is not None:
        body["audit_oldest_unsealed_age_seconds"] = audit_age
    if failed:
        body.update(
            status="unavailable",
            code="service_unavailable",
            message=f"Not ready: {', '.join(failed)}",
            down=failed,
        )
        return JsonResponse(body, status=503)
    return JsonResponse(body)
