"""Patient search at scale: load N patients over M clinics with COPY, then time typo searches.

Usage (PostgreSQL on 127.0.0.1 as postgres; uses and drops its own database):

    .venv/bin/python bench/patients.py --patients 1000000 --clinics 50

Prints the load rate, the plan of a typo search (EXPLAIN ANALYZE) and the
server-side latency of the search endpoint's first page (p50/p99), measured
through Django's full request path with the test client.
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
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.demo_names import FAMILY_NAMES, GIVEN_NAMES  # noqa: E402
from apps.core.ids import uuid7  # noqa: E402
from apps.patients.search import fold  # noqa: E402

# More surnames, so a million patients are not a few thousand names repeated.
EXTRA_FAMILY = [
    f"{stem}{suffix}"
    for stem in ("Berg", "Stein", "Wald", "Feld", "Brook", "Hill", "Lund", "Holm")
    for suffix in ("er", "man", "son", "sen", "ley", "ford", "stra", "ova")
]
FAMILIES = FAMILY_NAMES + EXTRA_FAMILY


def admin_dsn(db: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db}"


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: a swapped pair, a dropped or a doubled letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def setup_database(name: str) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "ENV": "test", "DATABASE_URL": admin_dsn(name)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def load(name: str, patients: int, clinics: int, seed: int) -> tuple[list[str], float]:
    rng = random.Random(seed)
    clinic_ids = [str(uuid7()) for _ in range(clinics)]
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        with conn.cursor().copy(
            "COPY clinics_clinic (id, created_at, updated_at, name, slug, time_zone, currency, country, address,"
            " phone, email) FROM STDIN"
        ) as copy:
            for n, clinic_id in enumerate(clinic_ids):
                copy.write_row((clinic_id, "now", "now", f"Bench {n}", f"bench-{n}", "UTC", "EUR", "DE", "", "", ""))
        # Indexes are cheaper to build once after the load than to maintain row by row.
        conn.execute("DROP INDEX IF EXISTS patients_search_trgm")
        started = time.perf_counter()
        columns = (
            "id, created_at, updated_at, clinic_id, mrn, given_name, family_name, date_of_birth, sex, phone, email,"
            " address_line, city, postal_code, country, emergency_contact_name, emergency_contact_phone, active,"
            " search_name"
        )
        per_clinic = [0] * clinics
        folded: dict[tuple[str, str], str] = {}
        epoch = date(1930, 1, 1)
        with conn.cursor().copy(f"COPY patients_patient ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n in range(patients):
                c = n % clinics
                per_clinic[c] += 1
                given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILIES)
                key = (given, family)
                if key not in folded:
                    folded[key] = fold(f"{given} {family}")
                dob = epoch + timedelta(days=rng.randrange(90 * 365))
                row = (
                    str(uuid.UUID(int=rng.getrandbits(128) & ~(0xF << 76) | (0x4 << 76))),
                    "2026-01-01 00:00:00+00",
                    "2026-01-01 00:00:00+00",
                    clinic_ids[c],
                    f"P{per_clinic[c]:07d}",
                    given,
                    family,
                    dob.isoformat(),
                    rng.choice(("female", "male", "other", "unknown")),
                    f"+4930{1000000 + n:08d}",
                    "",
                    "",
                    "",
                    "",
                    "DE",
                    "",
                    "",
                    "t",
                    folded[key],
                )
                buffer.write("\t".join(row) + "\n")
                if n % 20000 == 19999:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX patients_search_trgm ON patients_patient USING gin (clinic_id, search_name gin_trgm_ops)"
        )
        conn.execute("ANALYZE patients_patient")
        index_seconds = time.perf_counter() - started
    print(
        f"loaded {patients:,} patients over {clinics} clinics in {load_seconds:.1f}s "
        f"({patients / load_seconds:,.0f} rows/s); trigram index + analyze {index_seconds:.1f}s"
    )
    return clinic_ids, load_seconds + index_seconds


def measure(name: str, clinic_ids: list[str], requests: int, seed: int) -> None:
    os.environ.update({"ENV": "test", "DATABASE_URL": admin_dsn(name), "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User
    from apps.clinics.models import Membership
    from apps.patients.models import Patient
    from apps.patients.selectors import patient_search

    user = User.objects.create_user(f"bench-{uuid.uuid4().hex[:6]}@example.test", "bench-password-123456")
    Membership.objects.create(user=user, clinic_id=clinic_ids[0], role="owner")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    rng = random.Random(seed)

    def terms() -> str:
        return f"{typo(rng.choice(GIVEN_NAMES), rng)} {typo(rng.choice(FAMILIES), rng)}"

    sample = terms()
    queryset = patient_search(
        queryset=Patient.objects.filter(clinic_id__in=[clinic_ids[0]]), text=sample, regions=set()
    )
    sql, params = queryset[:21].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print(f"\nEXPLAIN ANALYZE of a typo search ({sample!r} in one clinic):")
        for (line,) in cursor.fetchall():
            print("   ", line)

    for _ in range(20):  # warm caches and connections
        client.get("/api/v1/patients/", {"search": terms()})
    timings: list[float] = []
    sql_ms: list[float] = []
    found, query_counts = 0, set()
    for _ in range(requests):
        text = terms()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/api/v1/patients/", {"search": text})
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
        found += bool(response.json()["results"])
        query_counts.add(len(queries))
        sql_ms.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    timings.sort()
    p99 = timings[max(0, int(len(timings) * 0.99) - 1)]
    print(
        f"\nsearch with a typo, first page, {requests} requests through Django: "
        f"p50 {statistics.median(timings):.1f} ms, p99 {p99:.1f} ms, max {timings[-1]:.1f} ms; "
        f"{found}/{requests} found something; SQL queries per request: {sorted(query_counts)}; "
        f"time in SQL p50 {statistics.median(sql_ms):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", default="clinicops_bench_patients")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_database(args.database)
    try:
        clinic_ids, _ = load(args.database, args.patients, args.clinics, args.seed)
        measure(args.database, clinic_ids, args.requests, args.seed)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
