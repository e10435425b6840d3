"""/health/ against real services: a private Redis is stopped and started here."""

import socket
import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_is_200_with_database_and_redis_up(api, private_redis):
    response = api.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_health_answers_for_any_host_and_over_plain_http(api):
    response = api.get("/health/", HTTP_HOST="internal.railway.example")
    assert response.status_code in (200, 503)
    assert "status" in response.json()


def test_redis_down_is_503_naming_it_and_back_up_is_200(api, private_redis, as_user, clinic):
    private_redis.stop()
    response = api.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["code"] == "service_unavailable"

    # Ordinary reads (throttled, cache-touching) keep working while Redis is down.
    read = as_user(clinic.staff["owner"]).get(reverse("clinic-list"))
    assert read.status_code == 200

    private_redis.start()
    assert api.get("/health/").status_code == 200


def test_a_hung_redis_is_reported_within_a_second(api, settings):
    # A listener that accepts connections and never answers: a hung Redis.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    settings.REDIS_URL = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
    try:
        started = time.monotonic()
        response = api.get("/health/")
        elapsed = time.monotonic() - started
    finally:
        hung.close()
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]
    assert elapsed < 1.0


def test_database_down_is_503(api, monkeypatch):
    from apps.core import health

    monkeypatch.setattr(health, "check_database", lambda: "OperationalError")
    response = api.get("/health/")
    assert response.status_code == 503
    assert "database" in response.json()["down"]


def test_health_is_also_routed_for_reverse(api):
    assert reverse("health") == "/health/"
