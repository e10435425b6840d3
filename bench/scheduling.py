"""Scheduling at scale: load N appointments with COPY, then time a practitioner's week and the free-slot lookup.

Usage (PostgreSQL on 127.0.0.1 as postgres; creates and drops its own database):

    .venv/bin/python bench/scheduling.py --appointments 1000000

Loads clinics (half in Europe/Berlin, half in America/New_York), four
practitioners each with weekday hours 08:00-18:00 in 30-minute slots, patients,
and appointments filling 80% of those slots around today, with both exclusion
constraints and every index in place (built after the load). Then measures,
through Django's full request path (test client, real JWT), p50/p99 of:

* GET /api/v1/appointments/?practitioner=&clinic=&date_from=&date_to= (one week, page_size=100)
* GET /api/v1/slots/?clinic=&practitioner=&date_from=&date_to= (one week)

and the SQL queries each request issues, plus EXPLAIN ANALYZE of both hot queries.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402
from bench.data import admin_dsn  # noqa: E402


def load(name: str, appointments: int, clinics: int, seed: int) -> dict[str, list[str]]:
    """Clinics, patients and the schedule with the suite's loaders (bench/data.py)."""
    rng = random.Random(seed)
    dataset = data.Dataset()
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        data.load_clinics(conn, dataset, clinics, rng)
        data.load_patients(conn, dataset, clinics * data.APPOINTMENT_PATIENTS_PER_CLINIC, rng)
        data.load_scheduling(conn, dataset, appointments, rng)
    first, last = dataset.appointment_days
    print(
        f"loaded {dataset.counts['appointments']:,} appointments ({clinics} clinics, "
        f"{clinics * data.PRACTITIONERS_PER_CLINIC} practitioners, {first}..{last}) in "
        f"{dataset.seconds['appointments_copy']:.1f}s; indexes and exclusion constraints (validating every row) "
        f"{dataset.seconds['appointments_index']:.1f}s"
    )
    ids = [c.id for c in dataset.clinics]
    return {"clinics": ids, "practitioners": dataset.practitioners[ids[0]], "other": dataset.practitioners[ids[1]]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)]


def measure(name: str, ids: dict[str, list[str]], requests: int, seed: int) -> None:
    os.environ.update({"ENV": "test", "DATABASE_URL": admin_dsn(name), "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User
    from apps.clinics.models import Clinic, Membership
    from apps.scheduling.models import Appointment
    from apps.scheduling.selectors import busy_intervals
    from apps.scheduling.slots import Interval

    clinic = Clinic.objects.get(pk=ids["clinics"][0])
    zone = ZoneInfo(clinic.time_zone)
    user = User.objects.create_user(f"bench-{uuid.uuid4().hex[:6]}@example.test", "bench-password-123456")
    Membership.objects.create(user=user, clinic=clinic, role="receptionist")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    rng = random.Random(seed)
    today = date.today()
    monday = today - timedelta(days=today.weekday())

    def a_week(future: bool) -> tuple[date, date]:
        start = monday + timedelta(weeks=rng.randrange(1, 20) if future else rng.randrange(-20, 20))
        return start, start + timedelta(days=6)

    practitioner = ids["practitioners"][0]
    first, last = a_week(True)
    week = Interval(
        datetime.combine(first, clock(0), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), clock(0), tzinfo=zone),
    )
    listing = Appointment.objects.filter(
        clinic_id__in=[clinic.pk], practitioner_id=uuid.UUID(practitioner), start__gte=week.start, start__lt=week.end
    ).order_by("start", "id")[:101]
    with connection.cursor() as cursor:
        for label, queryset in (
            ("a practitioner's week (the list query)", listing),
            ("busy times of the slot lookup", None),
        ):
            if queryset is None:
                with CaptureQueriesContext(connection) as captured:
                    busy_intervals(practitioner_id=practitioner, between=week)
                sql = captured.captured_queries[-1]["sql"]
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            else:
                query_sql, params = queryset.query.sql_with_params()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query_sql, params)
            print(f"\nEXPLAIN ANALYZE, {label}:")
            for (line,) in cursor.fetchall():
                print("   ", line)

    def run(label: str, make_params) -> None:
        for _ in range(20):
            client.get(*make_params())
        timings: list[float] = []
        sql_ms: list[float] = []
        counts: set[int] = set()
        sizes: list[int] = []
        for _ in range(requests):
            path, params = make_params()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path, params)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:300]
            counts.add(len(queries))
            sql_ms.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
            sizes.append(len(response.json()["results"]))
        print(
            f"\n{label}, {requests} requests through Django: p50 {statistics.median(timings):.1f} ms, "
            f"p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms; "
            f"results per response {min(sizes)}-{max(sizes)} (median {statistics.median(sizes):.0f}); "
            f"SQL queries per request: {sorted(counts)}, SQL time p50 {statistics.median(sql_ms):.1f} ms"
        )

    def week_list():
        start, end = a_week(False)
        return "/api/v1/appointments/", {
            "practitioner": rng.choice(ids["practitioners"]),
            "clinic": str(clinic.pk),
            "date_from": str(start),
            "date_to": str(end),
            "page_size": 100,
        }

    def slot_lookup():
        start, end = a_week(True)
        return "/api/v1/slots/", {
            "clinic": str(clinic.pk),
            "practitioner": rng.choice(ids["practitioners"]),
            "date_from": str(start),
            "date_to": str(end),
        }

    run("a practitioner's week, GET /api/v1/appointments/", week_list)
    run("free slots for a week, GET /api/v1/slots/", slot_lookup)
    print(f"\n{Appointment.objects.count():,} appointments in the table")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database", default="clinicops_bench_sched")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    data.create_database(args.database)
    try:
        ids = load(args.database, args.appointments, args.clinics, args.seed)
        measure(args.database, ids, args.requests, args.seed)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            data.drop_database(args.database)


if __name__ == "__main__":
    main()
