"""Billing at scale: load invoices, lines and payments with COPY, then time reports, payments and PDFs.

Usage (PostgreSQL on 127.0.0.1 as postgres; uses and drops its own database):

    .venv/bin/python bench/billing.py --invoices 200000 --clinics 20

Prints the load, the plans of the revenue and aging queries for one clinic
(EXPLAIN ANALYZE), and server-side latencies through Django's full request
path (test client): revenue for a month and for a year, aging, taking a
payment with an Idempotency-Key, and rendering a PDF.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402
from bench.data import admin_dsn  # noqa: E402


def django_setup(name: str) -> None:
    os.environ.update({"ENV": "test", "DATABASE_URL": admin_dsn(name), "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def load(name: str, invoices: int, clinics: int, seed: int) -> tuple[list[str], str]:
    """Clinics, a patient per 10 invoices, invoices over two years with lines and payments (bench/data.py)."""
    from apps.accounts.models import User

    rng = random.Random(seed)
    user = User.objects.create_user("bench@example.test", "bench-password-123456")
    dataset = data.Dataset()
    started = time.perf_counter()
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        data.load_clinics(conn, dataset, clinics, rng)
        data.load_patients(conn, dataset, max(clinics, invoices // 10), rng)
        data.load_billing(conn, dataset, invoices, rng, created_by=str(user.pk))
    print(
        f"loaded {invoices:,} invoices ({dataset.counts['invoice_lines']:,} lines, "
        f"{dataset.counts['payments']:,} payments) over {clinics} clinics in {time.perf_counter() - started:.1f}s"
    )
    return [c.id for c in dataset.clinics], str(user.pk)


def timed(label: str, runs: int, call: Callable[[], Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        call()
    timings, counts = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        counts.add(len(queries))
    timings.sort()
    print(
        f"{label:<44} p50 {statistics.median(timings):7.1f} ms   max {timings[-1]:7.1f} ms   "
        f"queries/request {sorted(counts)}"
    )


def measure(clinic_ids: list[str], user_id: str, runs: int) -> None:
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User
    from apps.billing.models import Invoice
    from apps.billing.reports import _BALANCE, Period, _issued_invoices
    from apps.clinics.models import Clinic, Membership

    clinic = Clinic.objects.get(pk=clinic_ids[0])
    user = User.objects.get(pk=user_id)
    Membership.objects.create(user=user, clinic=clinic, role="owner")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    rows = Invoice.objects.filter(clinic=clinic).count()
    print(f"\none clinic: {rows:,} invoices")

    from django.db.models import Sum

    period = Period.of(clinic, date(2026, 1, 1), date(2026, 10, 31))
    queryset = _issued_invoices(clinic, period).values("issue_date").annotate(outstanding=Sum(_BALANCE))
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\nEXPLAIN ANALYZE, revenue by day (ten months):")
        for (line,) in cursor.fetchall():
            print("   ", line)

    def get(url: str, params: dict[str, str]) -> Callable[[], Any]:
        def call() -> None:
            response = client.get(url, params)
            assert response.status_code == 200, response.content[:300]

        return call

    print()
    cid = str(clinic.pk)
    timed(
        "GET reports/revenue/ (one month)",
        runs,
        get("/api/v1/reports/revenue/", {"clinic": cid, "from": "2026-10-01", "to": "2026-10-31"}),
    )
    timed(
        "GET reports/revenue/ (a year)",
        runs,
        get("/api/v1/reports/revenue/", {"clinic": cid, "from": "2025-11-01", "to": "2026-10-31"}),
    )
    timed("GET reports/aging/", runs, get("/api/v1/reports/aging/", {"clinic": cid}))
    timed(
        "GET invoices/?status=issued (page of 20)", runs, get("/api/v1/invoices/", {"clinic": cid, "status": "issued"})
    )
    open_invoices = list(
        Invoice.objects.filter(clinic=clinic, status="issued", paid_amount=0).values_list("pk", flat=True)[: runs + 3]
    )
    pdf_target = open_invoices[0]
    timed("GET invoices/{id}/pdf/", runs, get(f"/api/v1/invoices/{pdf_target}/pdf/", {}))
    pending = iter(open_invoices)

    def pay() -> None:
        response = client.post(
            f"/api/v1/invoices/{next(pending)}/payments/",
            {"amount": "1.00", "method": "card"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        assert response.status_code == 201, response.content[:300]

    timed("POST invoices/{id}/payments/ (new key)", runs, pay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", default="clinicops_bench_billing")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data.create_database(args.database)
    try:
        django_setup(args.database)
        clinic_ids, user_id = load(args.database, args.invoices, args.clinics, args.seed)
        measure(clinic_ids, user_id, args.runs)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            data.drop_database(args.database)


if __name__ == "__main__":
    main()
