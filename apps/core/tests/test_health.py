"""/health/ against real services: a private Redis is stopped and started here."""

import shutil
import socket
import subprocess
import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free port, so stopping it harms nobody."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(5)
            self.process = None


@pytest.fixture
def private_redis(settings):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailOpenRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield server
    server.stop()


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
