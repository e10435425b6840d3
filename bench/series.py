"""Booking a 52-occurrence weekly series at scale: p50/p99 through Django's full request path.

Usage (PostgreSQL on 127.0.0.1 as postgres; creates and drops its own database):

    .venv/bin/python bench/series.py --appointments 1000000

Loads the schedule of bench/scheduling.py (clinics, four practitioners each with
weekday hours 08:00-18:00, appointments filling 80% of the slots around today,
both exclusion constraints and every index), then books weekly series of 52
occurrences after the loaded range, each in a free slot of its own (a new
practitioner, weekday and time per request), with POST /api/v1/appointment-series/
(test client, real JWT, one transaction per request), and prints p50/p99, the
SQL queries per request and the appointments in the table.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402
from bench.data import admin_dsn  # noqa: E402
from bench.scheduling import load, percentile  # noqa: E402

OCCURRENCES = 52
SLOTS = 20  # 08:00-18:00 in 30-minute slots


def measure(name: str, ids: dict[str, list[str]], requests: int, last_loaded_day: str) -> None:
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
    from apps.patients.models import Patient
    from apps.scheduling.models import Appointment

    clinic = Clinic.objects.get(pk=ids["clinics"][0])
    zone = ZoneInfo(clinic.time_zone)
    user = User.objects.create_user(f"bench-{uuid.uuid4().hex[:6]}@example.test", "bench-password-123456")
    Membership.objects.create(user=user, clinic=clinic, role="receptionist")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    patients = [str(pk) for pk in Patient.objects.filter(clinic=clinic).values_list("pk", flat=True)[:2000]]
    practitioners = ids["practitioners"]
    first_free = date.fromisoformat(last_loaded_day) + timedelta(days=7)
    monday = first_free + timedelta(days=(7 - first_free.weekday()) % 7)
    # Each request its own (practitioner, weekday, slot): never a conflict, so every request books 52.
    cells = [(p, d, s) for p in practitioners for d in range(5) for s in range(SLOTS)]
    needed = requests + 10
    if needed > len(cells):
        raise SystemExit(f"at most {len(cells) - 10} requests for {len(practitioners)} practitioners")
    random.Random(5).shuffle(cells)

    def body(n: int) -> dict[str, str]:
        practitioner, weekday, slot = cells[n]
        start = datetime.combine(monday + timedelta(days=weekday), clock(8), tzinfo=zone) + timedelta(minutes=30 * slot)
        return {
            "clinic": str(clinic.pk),
            # At one local time a patient sees one practitioner: the practitioner's index picks the patient.
            "patient": patients[practitioners.index(practitioner)],
            "practitioner": practitioner,
            "start": start.isoformat(),
            "rrule": f"FREQ=WEEKLY;COUNT={OCCURRENCES}",
        }

    for n in range(10):  # warm-up
        assert client.post("/api/v1/appointment-series/", body(n), content_type="application/json").status_code == 201
    timings: list[float] = []
    counts: set[int] = set()
    for n in range(10, 10 + requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post("/api/v1/appointment-series/", body(n), content_type="application/json")
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.content[:300]
        assert len(response.json()["occurrences"]) == OCCURRENCES
        counts.add(len(queries))
    print(
        f"\nbooking a {OCCURRENCES}-occurrence weekly series, POST /api/v1/appointment-series/, {requests} requests: "
        f"p50 {statistics.median(timings):.1f} ms, p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms; "
        f"SQL queries per request: {sorted(counts)}"
    )
    print(f"{Appointment.objects.count():,} appointments in the table")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", default="clinicops_bench_series")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    data.create_database(args.database)
    try:
        ids = load(args.database, args.appointments, args.clinics, args.seed)
        last_day = _last_loaded_day(args.database)
        measure(args.database, ids, args.requests, last_day)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            data.drop_database(args.database)


def _last_loaded_day(name: str) -> str:
    import psycopg

    with psycopg.connect(admin_dsn(name)) as conn:
        row = conn.execute("SELECT max(start)::date FROM scheduling_appointment").fetchone()
    return str(row[0] if row and row[0] else date.today())


if __name__ == "__main__":
    main()
