"""The fixed cost of a request: SQL statements and Redis round trips, and what a sick Redis costs.

Targets (issue #10, docs/performance.md): patient detail <= 3 SQL statements,
patient list and phone search <= 4, at most one Redis round trip. Counted on
the second request of a client (the first opens connections).

The hash chain's lock, last-hash read and savepoints are not counted
(apps/core/tests/statements.py says why); the audit INSERT is, and must be
exactly one.
"""

import os
import signal
import time

import pytest
import redis.connection
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core import throttling
from apps.core.roles import Role
from apps.core.tests.statements import counted
from apps.patients.tests.factories import PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


class RedisTrips:
    """Counts commands written to Redis (a pipeline or a script is one write: one round trip)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = redis.connection.AbstractConnection.send_packed_command

        def counting(conn, command, check_health=True):
            self.count += 1
            return original(conn, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)


@pytest.fixture(autouse=True)
def closed_breaker():
    throttling.breaker.reset()
    yield
    throttling.breaker.reset()


def cost(client, monkeypatch, path, params=None):
    """(statements, Redis round trips) of the second identical request."""
    assert client.get(path, params).status_code == 200
    trips = RedisTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    statements = counted(queries)
    audit_inserts = [sql for sql in statements if sql.startswith('INSERT INTO "audit_auditevent"')]
    assert len(audit_inserts) == 1, statements
    return statements, trips.count


def test_patient_detail_is_three_statements_and_one_redis_trip(as_user, clinic, monkeypatch, private_redis):
    patient = PatientFactory(clinic=clinic)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    statements, trips = cost(client, monkeypatch, reverse("patient-detail", args=[patient.pk]))
    assert len(statements) <= 3, "\n".join(sql[:100] for sql in statements)
    assert trips == 1


@pytest.mark.parametrize("params", [{}, {"search": "+49 30 5000001"}], ids=["list", "phone search"])
def test_patient_list_and_phone_search_are_four_statements_and_one_redis_trip(
    as_user, clinic, monkeypatch, private_redis, params
):
    PatientFactory(clinic=clinic, phone="+49305000001")
    PatientFactory.create_batch(3, clinic=clinic)
    client = as_user(clinic.staff[Role.OWNER])
    statements, trips = cost(client, monkeypatch, reverse("patient-list"), params)
    assert len(statements) <= 4, "\n".join(sql[:100] for sql in statements)
    assert trips == 1


def test_authentication_reads_user_and_memberships_in_one_statement(as_user, clinic):
    client = as_user(clinic.staff[Role.ADMIN])
    client.get(reverse("auth-me"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patient-list"), {"clinic": str(clinic.pk)})
    assert response.status_code == 200
    membership_reads = [q["sql"] for q in queries.captured_queries if '"clinics_membership"' in q["sql"]]
    assert len(membership_reads) == 1
    assert 'FROM "accounts_user" LEFT OUTER JOIN "clinics_membership"' in membership_reads[0]


# --- throttling -------------------------------------------------------------------


def test_the_user_rate_is_enforced_in_one_trip_a_request(as_user, clinic, monkeypatch, private_redis):
    monkeypatch.setitem(throttling.UserRateThrottle.THROTTLE_RATES, "user", "3/minute")
    client = as_user(clinic.staff[Role.OWNER])
    assert client.get(reverse("clinic-list")).status_code == 200  # opens the connection, loads the script
    trips = RedisTrips(monkeypatch)
    codes = [client.get(reverse("clinic-list")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert trips.count == 3
    refused = client.get(reverse("clinic-list"))
    assert refused.status_code == 429
    assert 55 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"


def test_the_login_rate_is_per_address_in_one_trip_a_request(api, monkeypatch, private_redis):
    monkeypatch.setitem(throttling.LoginRateThrottle.THROTTLE_RATES, "login", "3/minute")
    refresh = reverse("auth-token-refresh")
    assert api.post(refresh, {}).status_code == 400
    trips = RedisTrips(monkeypatch)
    codes = [api.post(refresh, {}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert trips.count == 3
    other_address = api.post(refresh, {}, REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 400


def test_with_redis_stopped_throttled_reads_answer(as_user, clinic, monkeypatch, private_redis):
    client = as_user(clinic.staff[Role.OWNER])
    assert client.get(reverse("clinic-list")).status_code == 200
    private_redis.stop()
    trips = RedisTrips(monkeypatch)
    for _ in range(5):
        assert client.get(reverse("clinic-list")).status_code == 200
    assert trips.count <= 1  # refused once, then the breaker skips Redis


def test_with_redis_paused_a_read_costs_one_timeout_once(as_user, clinic, monkeypatch, private_redis):
    patient = PatientFactory(clinic=clinic)
    client = as_user(clinic.staff[Role.OWNER])
    path = reverse("patient-detail", args=[patient.pk])
    assert client.get(path).status_code == 200  # the pool holds a live connection now
    assert private_redis.process is not None
    os.kill(private_redis.process.pid, signal.SIGSTOP)
    trips = RedisTrips(monkeypatch)
    elapsed = []
    try:
        for _ in range(5):
            started = time.monotonic()
            assert client.get(path).status_code == 200
            elapsed.append(time.monotonic() - started)
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)
    # The figure docs/performance.md reports (target: within 600 ms); shown with pytest -s.
    print("redis paused, five reads (ms):", [round(s * 1000) for s in elapsed])  # noqa: T201
    assert trips.count == 1, "only the first request waits for Redis"
    assert elapsed[0] < 1.0, elapsed  # one 0.5 s timeout, not two
    assert max(elapsed[1:]) < 0.3, elapsed


def test_the_breaker_probes_again_and_throttling_resumes(as_user, clinic, monkeypatch, private_redis, settings):
    settings.THROTTLE_BREAKER_SECONDS = 0.2
    monkeypatch.setitem(throttling.UserRateThrottle.THROTTLE_RATES, "user", "2/minute")
    client = as_user(clinic.staff[Role.OWNER])
    assert private_redis.process is not None
    os.kill(private_redis.process.pid, signal.SIGSTOP)
    try:
        codes = [client.get(reverse("clinic-list")).status_code for _ in range(4)]
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)
    assert codes == [200, 200, 200, 200]  # fail open: nothing counted
    time.sleep(0.3)
    codes = [client.get(reverse("clinic-list")).status_code for _ in range(3)]
    # Counted again (the paused request may have reached Redis after it woke up: hence not [200, 200, 429]).
    assert codes[0] == 200
    assert codes[-1] == 429
