"""Audit log benchmarks: the append under pgbench, the sealer's events/s, the audit list at volume.

    .venv/bin/python bench/audit.py                      # 10M events for the list
    .venv/bin/python bench/audit.py --events 2000000     # reduced, when time is short

Creates its own PostgreSQL database (127.0.0.1:5432, user postgres), migrates
it, and drops it at the end (``--keep`` keeps it). Prints one Markdown table
per part. Figures compare only within one run: the machine is shared.

1. pgbench, 1/4/8 clients, ``-M simple``: the app's append exactly as Django
   sends it (captured through ``audit_record``: one autocommitted multi-row
   INSERT, here one row as a detail read writes), a plain INSERT of the same
   row into a table with the same columns and only a primary key, and the
   previous release's chain append (advisory lock, SELECT of the last hash,
   INSERT, in one transaction) for comparison.
2. The sealer: ``audit_seal`` over a backlog, in 50,000-event checkpoints;
   events/s per checkpoint (the tree grows; a seal reads only new events).
3. The audit list: N events over 50 clinics loaded server-side
   (INSERT ... SELECT generate_series, the same bulk path as COPY without a
   client round trip per row), then the list's SQL for random
   (clinic, resource_type, resource_id) filters and for ``?clinic=`` alone,
   p50/p99 over 500 runs; then the whole request in-process (Django test
   client, JWT auth, memberships, serialization) p50/p99 over 200 requests.
   Finally one steady-state seal of 20,000 new events on the big table, whose
   history also has its leaves (stand-ins at negative positions), so the
   sealer's "not yet sealed" test runs against a leaf table of N rows too.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLINICS = 50
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def psql(database: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atqc", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"psql failed: {result.stderr.strip()[:2000]}")
    return result.stdout.strip()


def setup_database(name: str) -> str:
    psql("postgres", f'DROP DATABASE IF EXISTS "{name}"')
    psql("postgres", f'CREATE DATABASE "{name}"')
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "ENV": "test", "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    return url


def django_setup(url: str) -> None:
    os.environ.update({"ENV": "test", "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def captured_append_sql() -> str:
    """The append as Django sends it, with literals (psycopg binds client-side), for pgbench."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.audit.services import audit_record

    with CaptureQueriesContext(connection) as queries:
        audit_record(action="patient.read", resource_type="patient", resource_id=str(uuid.uuid4()))
    (query,) = queries.captured_queries
    sql = query["sql"]
    # A fresh public id per run (the column is unique).
    sql = re.sub(r"VALUES \('[0-9a-f-]{32,36}'::uuid", "VALUES (gen_random_uuid()", sql)
    assert "gen_random_uuid()" in sql, sql
    return sql


def pgbench(database: str, script: str, clients: int, seconds: int) -> float:
    from bench import pgbench as runner

    with tempfile.TemporaryDirectory(prefix="clinicops-bench-audit-") as work:
        path = Path(work) / "script.sql"
        path.write_text(script)
        return runner.run(database, [path], clients=clients, duration=seconds)["tps"]


def bench_append(database: str, seconds: int) -> None:
    append = captured_append_sql()
    psql(
        database,
        "CREATE TABLE bench_plain_insert (LIKE audit_auditevent INCLUDING DEFAULTS); "
        "ALTER TABLE bench_plain_insert ADD PRIMARY KEY (id)",
    )
    plain = append.replace('INSERT INTO "audit_auditevent"', 'INSERT INTO "bench_plain_insert"').split(" RETURNING")[0]
    plain = plain.replace('("event_id"', '("id", "event_id"').replace(
        "VALUES (gen_random_uuid()", "VALUES (nextval('bench_plain_seq'), gen_random_uuid()"
    )
    psql(database, "CREATE SEQUENCE bench_plain_seq")
    # The previous release: lock, last hash, insert, one transaction (as captured before this change).
    old = "\n".join(
        [
            "BEGIN;",
            "SELECT pg_advisory_xact_lock(73835917404483);",
            'SELECT "audit_auditevent"."hash" FROM "audit_auditevent" ORDER BY "audit_auditevent"."id" DESC LIMIT 1;',
            append.split(" RETURNING")[0]
            .replace('"changes")', '"changes", "prev_hash", "hash")')
            .replace("::jsonb)", "::jsonb, repeat('0', 64), encode(sha256(gen_random_uuid()::text::bytea), 'hex'))")
            + ";",
            "COMMIT;",
        ]
    )
    rows = []
    for clients in (1, 4, 8):
        new_tps = pgbench(database, append + ";\n", clients, seconds)
        plain_tps = pgbench(database, plain + ";\n", clients, seconds)
        old_tps = pgbench(database, old + "\n", clients, seconds)
        rows.append((clients, new_tps, plain_tps, old_tps))
        log(f"pgbench {clients} clients: append {new_tps:.0f} tps, plain {plain_tps:.0f}, old chain {old_tps:.0f}")
    one = rows[0][1]
    print("\n| clients | append (tps) | plain INSERT (tps) | append / plain | append / 1 client | old chain (tps) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for clients, new_tps, plain_tps, old_tps in rows:
        ratio, scale = new_tps / plain_tps, new_tps / one
        print(f"| {clients} | {new_tps:,.0f} | {plain_tps:,.0f} | {ratio:.2f} | {scale:.2f} | {old_tps:,.0f} |")
    print()


def load_events(database: str, count: int, *, history: bool) -> float:
    """Server-side bulk load over the 50 clinics; ``history`` rows (txid 1) lie outside the sealer's window."""
    clinics = psql(database, "SELECT string_agg(quote_literal(id::text), ',') FROM clinics_clinic")
    kinds = "ARRAY['patient','patient','patient','appointment','invoice','membership','clinic']"
    # "Old" rows: a txid below any horizon, so the sealer's window skips them, as it skips sealed history.
    txid = "1" if history else "(pg_current_xact_id()::text::bigint)"
    hash_ = "NULL"
    started = time.monotonic()
    step = 1_000_000
    base = int(psql(database, "SELECT coalesce(max(id), 0) FROM audit_auditevent"))
    for offset in range(0, count, step):
        n = min(step, count - offset)
        psql(
            database,
            "INSERT INTO audit_auditevent (event_id, at, clinic_id, action, resource_type, resource_id, "  # noqa: S608
            "request_id, changes, txid, prev_hash, hash) "
            # Time-ordered ids like the app's UUIDv7 (a random v4 would scatter the unique index).
            f"SELECT ('01a2' || lpad(to_hex(g), 28, '0'))::uuid, now() - (({count} - g) * interval '10 ms'), "
            f"(ARRAY[{clinics}])[(1 + g % {CLINICS})::int]::uuid, 'x.read', "
            f"({kinds})[(1 + (g / {CLINICS}) % 7)::int], 'r' || ((g::bigint * 7919) % 1000000), '', '{{}}'::jsonb, "
            f"{txid}, NULL, {hash_} "
            f"FROM generate_series({base + offset + 1}::bigint, {base + offset + n}::bigint) AS g",
        )
        if history:
            # Sealed history has leaves too: the sealer's "not yet sealed" anti-join must stay cheap with a
            # leaf table as large as the events. Negative positions stay clear of the real tree's; the hashes
            # are stand-ins (nothing here verifies history, the seal reads only new events and the frontier).
            psql(
                database,
                "INSERT INTO audit_auditleaf (log_index, event_id, leaf_hash) "  # noqa: S608
                "SELECT -g, g, sha256(int8send(g)) "
                f"FROM generate_series({base + offset + 1}::bigint, {base + offset + n}::bigint) AS g",
            )
        log(f"loaded {offset + n:,} / {count:,} events")
    psql(database, "ANALYZE audit_auditevent")
    psql(database, "ANALYZE audit_auditleaf")
    return time.monotonic() - started


def bench_sealer(backlog: int, batch: int) -> list[tuple[int, int, float]]:
    from apps.audit.sealer import audit_seal

    figures = []
    while True:
        started = time.perf_counter()
        result = audit_seal(batch_size=batch)
        elapsed = time.perf_counter() - started
        if not result.sealed:
            break
        assert result.checkpoint is not None
        rate, size = result.sealed / elapsed, result.checkpoint.tree_size
        figures.append((size, result.sealed, rate))
        log(f"sealed {result.sealed:,} events in {elapsed:.2f} s ({rate:,.0f}/s), tree {size:,}")
    return figures


def seal_read_plan(batch: int) -> str:
    """EXPLAIN ANALYZE of the sealer's read of pending events, as it would run now (read-only)."""
    from django.db import connection
    from django.db.models import F

    from apps.audit.selectors import latest_checkpoint, pending_events

    last = latest_checkpoint()
    events = pending_events(horizon=last.txid_horizon if last else None).order_by(F("id") + 0)
    sql, params = events.values_list("id")[:batch].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_list(runs: int, requests: int) -> dict[str, Any]:
    from django.db import connection
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User
    from apps.audit.selectors import audit_event_list
    from apps.core.roles import Role
    from apps.core.tenancy import Access

    owner = User.objects.get(email="owner@bench.audit")
    timings: dict[str, list[float]] = {"filtered": [], "clinic only": []}
    plan = ""
    # Filters that find rows: (clinic, type, id) triples sampled from the table itself.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT clinic_id, resource_type, resource_id FROM audit_auditevent TABLESAMPLE SYSTEM (1) "
            "WHERE clinic_id IS NOT NULL LIMIT %s",
            [runs],
        )
        samples = cursor.fetchall()
    for n in range(runs):
        clinic, kind, resource = samples[n % len(samples)]
        filters = {"resource_type": kind, "resource_id": resource}
        for name, chosen in (("filtered", filters), ("clinic only", {})):
            # The selector as the API calls it, for an owner of the sampled clinic; paginate returns the query.
            access = Access(user=owner, roles={clinic: Role.OWNER}, clinic_id=clinic)
            queryset = audit_event_list(access=access, filters=chosen, paginate=lambda events: events)
            sql, params = queryset[:21].query.sql_with_params()
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                timings[name].append((time.perf_counter() - started) * 1000)
                if n == 0 and name == "filtered":
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(owner).access_token}")
    request_ms = []
    owner_clinic = str(owner.memberships.values_list("clinic_id", flat=True).first())
    mine = [row for row in samples if str(row[0]) == owner_clinic] or samples
    for n in range(requests):
        _, kind, resource = mine[n % len(mine)]
        query = {"clinic": owner_clinic, "resource_type": kind, "resource_id": resource}
        started = time.perf_counter()
        response = client.get("/api/v1/audit-events/", query, HTTP_HOST="127.0.0.1")
        request_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    return {"sql": timings, "request": request_ms, "plan": plan}


def make_clinics() -> None:
    from apps.accounts.models import User
    from apps.clinics.models import Clinic, Membership

    owner = User.objects.create_user(email="owner@bench.audit", password=uuid.uuid4().hex)
    for n in range(CLINICS):
        clinic = Clinic.objects.create(name=f"Bench {n}", slug=f"bench-{n}", time_zone="UTC", currency="EUR")
        if n == 0:
            Membership.objects.create(user=owner, clinic=clinic, role="owner")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000, help="events in the table for the list")
    parser.add_argument("--backlog", type=int, default=300_000, help="events for the sealer run")
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--skip-pgbench", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    name = f"clinicops_bench_audit_{os.getpid()}"
    log(f"database {name}")
    url = setup_database(name)
    try:
        django_setup(url)
        make_clinics()
        if not args.skip_pgbench:
            bench_append(name, args.pgbench_seconds)
        # The pgbench rows are unsealed events too: seal them first so the backlog figure is the backlog's.
        from apps.audit.sealer import audit_seal_all

        audit_seal_all()
        if args.backlog:
            load_events(name, args.backlog, history=False)
            figures = bench_sealer(args.backlog, args.batch)
            rates = [rate for _, _, rate in figures]
            print("\n| checkpoint tree size | events sealed | events/s |")
            print("| --- | --- | --- |")
            for size, sealed, rate in figures:
                print(f"| {size:,} | {sealed:,} | {rate:,.0f} |")
            print(f"\nsealer: median {statistics.median(rates):,.0f} events/s over {len(rates)} checkpoints\n")

        if not args.events:
            return
        # A checkpoint with a horizon first, so that the history below lies outside the sealer's window.
        load_events(name, 1_000, history=False)
        audit_seal_all()
        seconds = load_events(name, args.events, history=True)
        # What autovacuum's autosummarize does within a minute of normal inserts; a bulk load outruns it.
        psql(name, "SELECT brin_summarize_new_values('audit_event_txid_brin')")
        total = int(psql(name, "SELECT count(*) FROM audit_auditevent"))
        table_size = psql(name, "SELECT pg_size_pretty(pg_total_relation_size('audit_auditevent'))")
        log(f"{total:,} events ({table_size} with indexes), loaded in {seconds:.0f} s")
        result = bench_list(runs=500, requests=200)
        print(f"\naudit list at {total:,} events (50 clinics):\n")
        print("| what | p50 (ms) | p99 (ms) |")
        print("| --- | --- | --- |")
        for label, values in result["sql"].items():
            print(f"| SQL, {label} | {percentile(values, 50):.2f} | {percentile(values, 99):.2f} |")
        request = result["request"]
        print(f"| request in-process, filtered | {percentile(request, 50):.2f} | {percentile(request, 99):.2f} |")
        print("\nplan of the filtered list:\n")
        print(result["plan"])
        load_events(name, 20_000, history=False)
        print("\nplan of the sealer's read on the big table:\n")
        print(seal_read_plan(args.batch))
        steady = bench_sealer(20_000, args.batch)
        print(f"\nsteady seal on the {total:,}-event table: {steady[0][2]:,.0f} events/s\n")
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            psql("postgres", f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
