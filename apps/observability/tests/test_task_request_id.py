"""The request id travels from the publishing request into the task and its log lines."""

import json
import time

import pytest

from apps.core import context
from apps.observability import task_signals
from apps.observability.tests.probe_tasks import request_id_probe


def test_publish_stamps_the_running_requests_id_on_the_message_headers():
    headers: dict[str, object] = {}
    token = context.begin(context.RequestContext(request_id="req-publish-1"))
    try:
        task_signals.on_before_task_publish(headers=headers)
    finally:
        context.end(token)
    assert headers[task_signals.REQUEST_ID_HEADER] == "req-publish-1"


def test_publish_outside_a_request_adds_no_header():
    headers: dict[str, object] = {}
    task_signals.on_before_task_publish(headers=headers)
    assert task_signals.REQUEST_ID_HEADER not in headers


def test_an_eager_task_runs_under_its_callers_request_id_and_restores_the_context():
    token = context.begin(context.RequestContext(request_id="req-eager-1", user_id="7"))
    try:
        assert request_id_probe.apply().get() == "req-eager-1"
        # The caller's own context (with its user) is back after the task.
        assert context.current().user_id == "7"
        assert context.current().request_id == "req-eager-1"
    finally:
        context.end(token)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_real_worker_runs_the_task_under_the_request_id_and_logs_it(probe_worker):
    queue, log_path = probe_worker
    token = context.begin(context.RequestContext(request_id="req-worker-42"))
    try:
        result = request_id_probe.apply_async(queue=queue)
    finally:
        context.end(token)
    assert result.get(timeout=30) == "req-worker-42"

    # Without a request, the task runs with none (and says so in its log line).
    assert request_id_probe.apply_async(queue=queue).get(timeout=30) == ""

    deadline = time.monotonic() + 10
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
        if len([line for line in lines if line.get("message") == "probe ran"]) >= 2:
            break
        time.sleep(0.2)
    probe_lines = [line for line in lines if line.get("message") == "probe ran"]
    assert len(probe_lines) == 2, log_path.read_text()[-2000:]
    assert probe_lines[0]["request_id"] == "req-worker-42"
    assert "request_id" not in probe_lines[1]
