"""Patient search at scale: load N patients over M clinics with COPY, then time typo searches.

Usage (PostgreSQL on 127.0.0.1 as postgres; uses and drops its own database):

    .venv/bin/python bench/patients.py --patients 1000000 --clinics 50

Prints the load rate, the plan of a typo search (EXPLAIN ANALYZE) and the
server-side latency of the search endpoint's first page (p50/p99), measured
through Django's full request path with the test client.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.demo_names import GIVEN_NAMES  # noqa: E402
from bench import data  # noqa: E402
from bench.data import FAMILIES, admin_dsn, typo  # noqa: E402


def load(name: str, patients: int, clinics: int, seed: int) -> tuple[list[str], float]:
    """Clinics and patients with the suite's loaders (bench/data.py)."""
    rng = random.Random(seed)
    dataset = data.Dataset()
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        data.load_clinics(conn, dataset, clinics, rng)
        data.load_patients(conn, dataset, patients, rng)
    load_seconds, index_seconds = dataset.seconds["patients_copy"], dataset.seconds["patients_index"]
    print(
        f"loaded {patients:,} patients over {clinics} clinics in {load_seconds:.1f}s "
        f"({patients / load_seconds:,.0f} rows/s); trigram index + analyze {index_seconds:.1f}s"
    )
    return [c.id for c in dataset.clinics], load_seconds + index_seconds


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
    data.create_database(args.database)
    try:
        clinic_ids, _ = load(args.database, args.patients, args.clinics, args.seed)
        measure(args.database, clinic_ids, args.requests, args.seed)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            data.drop_database(args.database)


if __name__ == "__main__":
    main()
