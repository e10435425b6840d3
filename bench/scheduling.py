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
import io
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONES = ["Europe/Berlin", "America/New_York"]
PRACTITIONERS_PER_CLINIC = 4
PATIENTS_PER_CLINIC = 200
SLOTS_PER_DAY = 20  # 08:00-18:00 in 30 minutes
FILLED_PER_DAY = 16
DROPPED = [
    "sched_appt_practitioner_start",
    "sched_appt_clinic_start",
    "sched_appt_patient_start",
    "sched_appt_booked_start",
]


def admin_dsn(db: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db}"


def fake_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128) & ~(0xF << 76) | (0x4 << 76)))


def setup_database(name: str) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "ENV": "test", "DATABASE_URL": admin_dsn(name)}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def copy_rows(conn: psycopg.Connection, table: str, columns: str, rows: Sequence[tuple[str, ...]]) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(name: str, appointments: int, clinics: int, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    stamp = "2026-01-01 00:00:00+00"
    clinic_ids = [fake_uuid(rng) for _ in range(clinics)]
    practitioners = {c: [fake_uuid(rng) for _ in range(PRACTITIONERS_PER_CLINIC)] for c in clinic_ids}
    patients = {c: [fake_uuid(rng) for _ in range(PATIENTS_PER_CLINIC)] for c in clinic_ids}
    zone_of = {c: ZONES[n % len(ZONES)] for n, c in enumerate(clinic_ids)}
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        copy_rows(
            conn,
            "clinics_clinic",
            "id, created_at, updated_at, name, slug, time_zone, currency, country, address, phone, email",
            [
                (c, stamp, stamp, f"Bench {n}", f"bench-{n}", zone_of[c], "EUR", "DE", "", "", "")
                for n, c in enumerate(clinic_ids)
            ],
        )
        users = [
            (p, "!", "f", f"p-{p}@bench.test", "Bench Practitioner", "t", "f", stamp)
            for ps in practitioners.values()
            for p in ps
        ]
        copy_rows(
            conn,
            "accounts_user",
            "id, password, is_superuser, email, full_name, is_active, is_staff, date_joined",
            users,
        )
        copy_rows(
            conn,
            "clinics_membership",
            "id, created_at, updated_at, role, clinic_id, user_id",
            [(fake_uuid(rng), stamp, stamp, "practitioner", c, p) for c, ps in practitioners.items() for p in ps],
        )
        copy_rows(
            conn,
            "patients_patient",
            "id, created_at, updated_at, clinic_id, mrn, given_name, family_name, date_of_birth, sex, phone, email,"
            " address_line, city, postal_code, country, emergency_contact_name, emergency_contact_phone, active,"
            " search_name",
            [
                (
                    p,
                    stamp,
                    stamp,
                    c,
                    f"P{n + 1:07d}",
                    "Bench",
                    f"Patient{n}",
                    "1980-01-01",
                    "unknown",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "DE",
                    "",
                    "",
                    "t",
                    f"bench patient{n}",
                )
                for c, ps in patients.items()
                for n, p in enumerate(ps)
            ],
        )
        copy_rows(
            conn,
            "scheduling_availability",
            "id, created_at, updated_at, weekday, start_time, end_time, slot_minutes, clinic_id, practitioner_id",
            [
                (fake_uuid(rng), stamp, stamp, str(d), "08:00", "18:00", "30", c, p)
                for c, ps in practitioners.items()
                for p in ps
                for d in range(5)
            ],
        )

        # Enough weekdays, centred on today, for the requested number of appointments.
        per_day = clinics * PRACTITIONERS_PER_CLINIC * FILLED_PER_DAY
        weekdays_needed = -(-appointments // per_day)
        today = date.today()
        days: list[date] = []
        day = today - timedelta(days=int(weekdays_needed * 7 / 10))
        while len(days) < weekdays_needed:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        instants = {
            (zone, d, s): datetime.combine(d, clock(8), tzinfo=ZoneInfo(zone)).astimezone(UTC)
            + timedelta(minutes=30 * s)
            for zone in ZONES
            for d in days
            for s in range(SLOTS_PER_DAY)
        }
        with conn.cursor() as cursor:
            for constraint in ("sched_appt_practitioner_no_overlap", "sched_appt_patient_no_overlap"):
                cursor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {constraint}")
            for index in DROPPED:
                cursor.execute(f"DROP INDEX {index}")
        now = datetime.now(UTC)
        started = time.perf_counter()
        columns = (
            'id, created_at, updated_at, start, "end", status, reason, notes, cancellation_reason,'
            " outside_availability, sequence, clinic_id, patient_id, practitioner_id"
        )
        written = 0
        with conn.cursor().copy(f"COPY scheduling_appointment ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for d in days:
                for c in clinic_ids:
                    zone = zone_of[c]
                    for k, practitioner in enumerate(practitioners[c]):
                        for s in sorted(rng.sample(range(SLOTS_PER_DAY), FILLED_PER_DAY)):
                            if written == appointments:
                                break
                            start = instants[(zone, d, s)]
                            end = start + timedelta(minutes=30)
                            if start < now:
                                status = "completed" if rng.random() < 0.9 else rng.choice(("cancelled", "no_show"))
                            else:
                                status = "booked" if rng.random() < 0.95 else "cancelled"
                            # Patients at the same time differ by practitioner: no patient is in two places.
                            patient = patients[c][
                                (s * PRACTITIONERS_PER_CLINIC + k + d.toordinal() * 7) % PATIENTS_PER_CLINIC
                            ]
                            buffer.write(
                                "\t".join(
                                    (
                                        fake_uuid(rng),
                                        stamp,
                                        stamp,
                                        start.isoformat(),
                                        end.isoformat(),
                                        status,
                                        "Check-up",
                                        "",
                                        "",
                                        "f",
                                        "0",
                                        c,
                                        patient,
                                        practitioner,
                                    )
                                )
                                + "\n"
                            )
                            written += 1
                if buffer.tell() > 4_000_000:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX sched_appt_practitioner_start ON scheduling_appointment (practitioner_id, start)"
            )
            cursor.execute("CREATE INDEX sched_appt_clinic_start ON scheduling_appointment (clinic_id, start)")
            cursor.execute("CREATE INDEX sched_appt_patient_start ON scheduling_appointment (patient_id, start)")
            cursor.execute(
                "CREATE INDEX sched_appt_booked_start ON scheduling_appointment (start) WHERE status = 'booked'"
            )
            index_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for constraint, column in (
                ("sched_appt_practitioner_no_overlap", "practitioner_id"),
                ("sched_appt_patient_no_overlap", "patient_id"),
            ):
                cursor.execute(
                    f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {constraint} EXCLUDE USING gist "
                    f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
                    "WHERE (status IN ('booked', 'checked_in'))"
                )
            constraint_seconds = time.perf_counter() - started
            cursor.execute("ANALYZE")
    print(
        f"loaded {written:,} appointments ({clinics} clinics, {clinics * PRACTITIONERS_PER_CLINIC} practitioners, "
        f"{days[0]}..{days[-1]}) in {load_seconds:.1f}s ({written / load_seconds:,.0f} rows/s); "
        f"btree indexes {index_seconds:.1f}s; exclusion constraints (validating every row) {constraint_seconds:.1f}s"
    )
    return {"clinics": clinic_ids, "practitioners": practitioners[clinic_ids[0]], "other": practitioners[clinic_ids[1]]}


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
    setup_database(args.database)
    try:
        ids = load(args.database, args.appointments, args.clinics, args.seed)
        measure(args.database, ids, args.requests, args.seed)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
