"""A real Celery worker that also loads the probe tasks and keeps its log lines for the test."""

import uuid

import pytest


@pytest.fixture
def probe_worker_factory(celery_worker_factory, tmp_path):
    """``start(extra_env)`` starts a worker on a private queue and returns ``(queue, log_path)``."""

    def start(extra_env=None):
        log_path = tmp_path / f"obs-{uuid.uuid4().hex[:12]}.log"
        queue = celery_worker_factory(extra_env, imports=["apps.observability.tests.probe_tasks"], log_path=log_path)
        return queue, log_path

    return start


@pytest.fixture
def probe_worker(probe_worker_factory):
    """One worker with the test environment; yields ``(queue, log_path)``."""
    return probe_worker_factory()
