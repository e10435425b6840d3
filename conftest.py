"""Shared test fixtures: users, clinics with a member in every role, API clients.

Tests that need PostgreSQL or Redis are marked; on a bare laptop they are
skipped with the reason shown. With CLINICOPS_REQUIRE_SERVICES=1 (CI) such a
skip is a failure instead: CI must run everything.
"""

import os

os.environ.setdefault("ENV", "test")

import pytest

REQUIRE_SERVICES = os.environ.get("CLINICOPS_REQUIRE_SERVICES") == "1"

# Every API answer of every test is validated against the live OpenAPI schema.
pytest_plugins = ["apps.core.tests.contract"]


def _missing_service(item: pytest.Item) -> str | None:
    from django.conf import settings

    if item.get_closest_marker("postgres") and "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return "needs PostgreSQL (set DATABASE_URL)"
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        return "needs Redis (set REDIS_URL)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason}; CLINICOPS_REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def make_user(db):
    from apps.accounts.tests.factories import UserFactory

    return UserFactory


@pytest.fixture
def clinic(db):
    """A clinic with one member per role; ``clinic.staff[role]`` is that member."""
    from apps.clinics.tests.factories import clinic_with_staff

    return clinic_with_staff(name="Riverside")


@pytest.fixture
def other_clinic(db):
    """A second, unrelated clinic with its own staff."""
    from apps.clinics.tests.factories import clinic_with_staff

    return clinic_with_staff(name="Harbor")


@pytest.fixture
def as_user(api):
    """``as_user(user)`` authenticates the client with a real JWT access token for ``user``."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def login(user):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return api

    return login


@pytest.fixture
def celery_worker_factory(transactional_db, settings):
    """Starts real Celery workers (own processes) on private queues, against the test database and Redis.

    ``start(extra_env, imports=(), log_path=None)`` returns the queue name; send with
    ``task.apply_async(queue=...)`` (apps.core.tests.workers).
    Workers are stopped at teardown (a test may kill their pool processes in
    between: acks_late and reject_on_worker_lost must then hand the task on).
    """
    from apps.core.tests.workers import CeleryWorkers

    workers = CeleryWorkers(settings)
    try:
        yield workers.start
    finally:
        workers.stop()


@pytest.fixture
def celery_worker_process(celery_worker_factory):
    """One real worker with the test environment; yields its queue name."""
    return celery_worker_factory()


@pytest.fixture(scope="session", autouse=True)
def _test_flush_passes_the_audit_truncate_trigger():
    """Transactional tests end with Django's flush, a TRUNCATE of every table, which the audit
    tables' triggers refuse (apps/audit/migrations/0003). Only that flush runs with triggers off
    (replica mode; the test database role is a superuser); everything else still meets them."""
    from django.db import connections
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def set_role(mode: str) -> None:
        for conn in connections.all(initialized_only=True):
            if conn.vendor == "postgresql":
                with conn.cursor() as cursor:
                    cursor.execute(f"SET session_replication_role = {mode}")

    def fixture_teardown(self: TransactionTestCase) -> None:
        set_role("replica")
        try:
            original(self)
        finally:
            set_role("origin")

    TransactionTestCase._fixture_teardown = fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original
