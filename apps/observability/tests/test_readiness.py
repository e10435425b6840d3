"""/health/ready/: a worker must answer and Beat be fresh; hung Redis still answers within a second."""

import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from django.urls import reverse

from apps.core import health
from apps.core.periodic import periodic_tasks_sync
from apps.core.tests.redis_server import PrivateRedis
from apps.core.tests.workers import REPO, service_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_broker(settings):
    """A Redis of our own as cache and broker, so stopping it harms nobody."""
    server = PrivateRedis()
    server.start()
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    yield server
    if server.process is not None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@pytest.fixture
def fresh_heartbeat_key(settings):
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(health.BEAT_HEARTBEAT_KEY)
    yield client
    client.delete(health.BEAT_HEARTBEAT_KEY)


def test_ready_without_redis_says_worker_and_beat_are_not_configured(api, settings):
    settings.REDIS_URL = ""
    response = api.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "redis": "not_configured",
        "worker": "not_configured",
        "beat": "not_configured",
    }


def test_ready_is_503_naming_worker_and_beat_when_neither_runs(api, private_broker):
    started = time.monotonic()
    response = api.get("/health/ready/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["beat", "worker"]
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker": "down", "beat": "never"}
    assert body["code"] == "service_unavailable"
    assert elapsed < 1.0
    # Liveness does not care: the web process itself is fine.
    assert api.get("/health/").status_code == 200


def test_a_stale_beat_is_named(api, private_broker, settings):
    health.record_beat_heartbeat(now=time.time() - settings.READY_BEAT_MAX_AGE_SECONDS - 5)
    body = api.get("/health/ready/").json()
    assert body["checks"]["beat"] == "stale"
    assert body["beat_age_seconds"] > settings.READY_BEAT_MAX_AGE_SECONDS
    assert "beat" in body["down"]


def test_both_probes_answer_within_a_second_when_redis_hangs(api, private_broker):
    assert private_broker.process is not None
    os.kill(private_broker.process.pid, signal.SIGSTOP)
    try:
        for path in ("/health/", "/health/ready/"):
            started = time.monotonic()
            response = api.get(path)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, path
            assert "redis" in response.json()["down"]
            assert elapsed < 1.0, (path, elapsed)
        checks = api.get("/health/ready/").json()["checks"]
        assert checks["worker"] == "unknown"
        assert checks["beat"] == "unknown"
    finally:
        os.kill(private_broker.process.pid, signal.SIGCONT)


def test_ready_answers_for_any_host_and_is_routed(api, settings):
    settings.REDIS_URL = ""
    assert api.get("/health/ready/", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert reverse("health-ready") == "/health/ready/"


def test_the_audit_lag_is_reported_once_the_audit_app_offers_it(api, settings, monkeypatch):
    import apps.audit.selectors as selectors

    settings.REDIS_URL = ""
    monkeypatch.setattr(selectors, "oldest_unsealed_age_seconds", lambda: 3.25, raising=False)
    assert api.get("/health/ready/").json()["audit_oldest_unsealed_age_seconds"] == 3.25


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_ready_is_200_with_a_real_worker_and_a_real_beat(api, probe_worker, settings, fresh_heartbeat_key):
    from django.db import connection

    assert api.get("/health/ready/").json()["checks"]["beat"] == "never"

    periodic_tasks_sync()
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--pidfile=", "-s", os.devnull, "-l", "WARNING"],
        cwd=REPO,
        env=service_env(settings, connection),
    )
    try:
        deadline = time.monotonic() + 30
        while fresh_heartbeat_key.get(health.BEAT_HEARTBEAT_KEY) is None:
            assert beat.poll() is None, "beat exited"
            assert time.monotonic() < deadline, "beat wrote no heartbeat"
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(20)

    started = time.monotonic()
    response = api.get("/health/ready/")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok"}
    assert body["beat_age_seconds"] < 30
    assert elapsed < 1.0
