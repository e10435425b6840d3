"""/metrics/: the token, what a request and a task record, scrape-time gauges, multiprocess mode."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from apps.accounts.tasks import flush_expired_tokens
from apps.observability.tests.probe_tasks import explode
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

TOKEN = "test-metrics-token-0123456789"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    return settings


def scrape(_api=None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus' view, from a client of its own (the test's API client may carry a JWT)."""
    from django.test import Client

    response = Client().get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_is_404_while_no_token_is_configured(api, settings):
    settings.METRICS_TOKEN = ""
    assert api.get("/metrics/").status_code == 404
    assert api.get("/metrics/", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_metrics_refuses_a_missing_or_wrong_token(api, metrics_on):
    missing = api.get("/metrics/")
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/metrics/", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    wrong = api.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert wrong.status_code == 403
    assert b"clinicops_http" not in wrong.content
    assert api.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_a_request_is_counted_by_route_template_with_its_sql_statements(api, metrics_on, as_user, clinic):
    patient = PatientFactory(clinic=clinic)
    client = as_user(clinic.staff["owner"])
    route = "/api/v1/patients/<uuid:pk>/"
    before = scrape(api)

    assert client.get(reverse("patient-detail", args=[patient.pk])).status_code == 200
    assert client.get(reverse("patient-detail", args=[patient.pk])).status_code == 200

    after = scrape(api)
    labels = {"route": route, "method": "GET", "status": "200"}
    assert (
        value(after, "clinicops_http_requests_total", **labels)
        - value(before, "clinicops_http_requests_total", **labels)
        == 2
    )
    # The id never becomes a label: one series per pattern, not per patient.
    assert not any(str(patient.pk) in dict(key[1]).get("route", "") for key in after)
    count = "clinicops_http_request_duration_seconds_count"
    assert value(after, count, route=route, method="GET") - value(before, count, route=route, method="GET") == 2
    sql_sum = "clinicops_http_request_sql_statements_sum"
    assert value(after, sql_sum, route=route) - value(before, sql_sum, route=route) >= 2


def test_an_unknown_path_is_counted_under_one_label(api, metrics_on):
    before = scrape(api)
    assert api.get("/no/such/path/12345/").status_code == 404
    after = scrape(api)
    labels = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert (
        value(after, "clinicops_http_requests_total", **labels)
        == value(before, "clinicops_http_requests_total", **labels) + 1
    )


def test_celery_tasks_are_counted_and_timed(api, metrics_on):
    name = "apps.accounts.tasks.flush_expired_tokens"
    before = scrape(api)
    flush_expired_tokens.apply()
    after = scrape(api)
    assert (
        value(after, "clinicops_celery_tasks_total", task=name, outcome="success")
        == value(before, "clinicops_celery_tasks_total", task=name, outcome="success") + 1
    )
    count = "clinicops_celery_task_duration_seconds_count"
    assert value(after, count, task=name) == value(before, count, task=name) + 1


def test_a_failing_task_is_counted_as_a_failure(api, metrics_on):
    name = "observability_tests.explode"
    before = scrape(api)
    result = explode.apply(throw=False)
    assert result.failed()
    after = scrape(api)
    assert (
        value(after, "clinicops_celery_tasks_total", task=name, outcome="failure")
        == value(before, "clinicops_celery_tasks_total", task=name, outcome="failure") + 1
    )


@pytest.mark.redis
def test_queue_depth_is_read_from_redis_at_scrape_time(api, metrics_on):
    import redis

    queue = f"metrics-test-{os.getpid()}"
    metrics_on.METRICS_CELERY_QUEUES = [queue]
    client = redis.Redis.from_url(metrics_on.CELERY_BROKER_URL)
    try:
        client.rpush(queue, "a", "b", "c")
        assert value(scrape(api), "clinicops_celery_queue_depth", queue=queue) == 3
    finally:
        client.delete(queue)


def test_queue_depth_is_left_out_when_the_broker_is_not_redis(api, metrics_on):
    metrics_on.CELERY_BROKER_URL = "memory://"
    assert not any(name == "clinicops_celery_queue_depth" for name, _ in scrape(api))


def test_audit_lag_gauge_appears_only_once_the_audit_app_offers_it(api, metrics_on, monkeypatch):
    import apps.audit.selectors as selectors

    if not hasattr(selectors, "oldest_unsealed_age_seconds"):
        assert not any(name == "clinicops_audit_oldest_unsealed_age_seconds" for name, _ in scrape(api))
    monkeypatch.setattr(selectors, "oldest_unsealed_age_seconds", lambda: 12.5, raising=False)
    assert value(scrape(api), "clinicops_audit_oldest_unsealed_age_seconds") == 12.5


_RECORD_ONE_REQUEST = """
import django
django.setup()
from django.test import Client
assert Client().get("/api/v1/auth/me/").status_code == 401
"""


def test_multiprocess_mode_sums_every_process(tmp_path, api, metrics_on, monkeypatch):
    """Two processes (as two Gunicorn workers) write their files; a scrape sees both."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(ENV="test", METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _RECORD_ONE_REQUEST], cwd=REPO, env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(api)
    labels = {"route": "/api/v1/auth/me/", "method": "GET", "status": "401"}
    assert value(samples, "clinicops_http_requests_total", **labels) == 2
    count = "clinicops_http_request_duration_seconds_count"
    assert value(samples, count, route="/api/v1/auth/me/", method="GET") == 2


def test_the_worker_exporter_checks_the_token(metrics_on):
    from apps.core.tests.redis_server import free_port
    from apps.observability.exporter import serve_metrics_in_thread

    port = free_port()
    serve_metrics_in_thread(port=port, token=TOKEN, host="127.0.0.1")
    url = f"http://127.0.0.1:{port}/metrics"
    for headers, status in (({}, 401), ({"Authorization": "Bearer wrong"}, 403)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5)
        assert refused.value.code == status
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        assert b"clinicops_celery_tasks" in response.read()


@pytest.mark.slow
def test_gunicorn_with_two_workers_reports_the_same_totals_from_either(tmp_path):
    """The real server: config/gunicorn.conf.py's hooks, two workers, one metrics directory."""
    import socket
    import time

    from apps.core.tests.redis_server import free_port

    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ENV="test", METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"), PORT=str(port))
    env.update(WEB_CONCURRENCY="2", LOG_LEVEL="warning")
    (tmp_path / "prom").mkdir()
    (tmp_path / "prom" / "counter_99999.db").write_bytes(b"stale file of an earlier run")
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py", "config.wsgi:application"]
    # Gunicorn 27's control socket defaults to one path per user: keep ours private.
    command += ["--control-socket", str(tmp_path / "gunicorn.ctl")]
    server = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        for _ in range(6):
            with pytest.raises(urllib.error.HTTPError) as refused:
                # Generous: a worker's first request loads Django's middleware on a busy machine.
                urllib.request.urlopen(f"{base}/api/v1/auth/me/", timeout=60)  # noqa: S310
            assert refused.value.code == 401
        totals = set()
        for _ in range(6):
            request = urllib.request.Request(f"{base}/metrics/", headers={"Authorization": f"Bearer {TOKEN}"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                samples = parse(response.read().decode())
            labels = {"route": "/api/v1/auth/me/", "method": "GET", "status": "401"}
            totals.add(value(samples, "clinicops_http_requests_total", **labels))
        assert totals == {6.0}
        files = {path.name for path in (tmp_path / "prom").iterdir()}
        assert "counter_99999.db" not in files  # emptied at start
    finally:
        server.terminate()
        server.wait(30)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_real_worker_serves_its_task_metrics_on_its_own_port(probe_worker_factory, tmp_path):
    from apps.core.tests.redis_server import free_port
    from apps.observability.tests.probe_tasks import request_id_probe

    port = free_port()
    queue, _ = probe_worker_factory(
        {"METRICS_TOKEN": TOKEN, "WORKER_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "w")}
    )
    request_id_probe.apply_async(queue=queue).get(timeout=30)
    explode.apply_async(queue=queue).get(timeout=30, propagate=False)

    import time

    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Authorization": f"Bearer {TOKEN}"})
    probe = "observability_tests.request_id_probe"
    failure = {"task": "observability_tests.explode", "outcome": "failure"}
    deadline = time.monotonic() + 10
    while True:  # the result is stored a moment before task_postrun counts the run
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            samples = parse(response.read().decode())
        if value(samples, "clinicops_celery_tasks_total", **failure) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert value(samples, "clinicops_celery_tasks_total", task=probe, outcome="success") == 1
    assert value(samples, "clinicops_celery_tasks_total", **failure) == 1
    assert value(samples, "clinicops_celery_task_duration_seconds_count", task=probe) == 1


def test_metrics_answer_any_host_over_plain_http_in_production(api, metrics_on):
    # Prometheus scrapes each instance by its internal address, over HTTP.
    metrics_on.SECURE_SSL_REDIRECT = True
    response = api.get("/metrics/", HTTP_HOST="10.1.2.3:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    refused = api.get("/metrics/", HTTP_HOST="10.1.2.3:8000")
    assert refused.status_code == 401
