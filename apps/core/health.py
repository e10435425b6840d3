"""Liveness and readiness: the database and Redis, each within a short timeout."""

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


def check_redis() -> str | None:
    """None when Redis answers PING within REDIS_SOCKET_TIMEOUT (or none is configured)."""
    if not settings.REDIS_URL:
        return None
    timeout = settings.REDIS_SOCKET_TIMEOUT
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
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
