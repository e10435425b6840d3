"""Billing at scale: load invoices, lines and payments with COPY, then time reports, payments and PDFs.

Usage (PostgreSQL on 127.0.0.1 as postgres; uses and drops its own database):

    .venv/bin/python bench/billing.py --invoices 200000 --clinics 20

Prints the load, the plans of the revenue and aging queries for one clinic
(EXPLAIN ANALYZE), and server-side latencies through Django's full request
path (test client): revenue for a month and for a year, aging, taking a
payment with an Idempotency-Key, and rendering a PDF.
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
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.billing.money import line_amounts, round_money  # noqa: E402
from apps.core.ids import uuid7  # noqa: E402

PRICES = [(Decimal("80.00"), Decimal("0")), (Decimal("20.00"), Decimal("19")), (Decimal("4.99"), Decimal("7"))]


def admin_dsn(db: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db}"


def setup_database(name: str) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "ENV": "test", "DATABASE_URL": admin_dsn(name)}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def django_setup(name: str) -> None:
    os.environ.update({"ENV": "test", "DATABASE_URL": admin_dsn(name), "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def copy_rows(conn: Any, table: str, columns: str, rows: Any) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, row in enumerate(rows):
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            if n % 20000 == 19999:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def load(name: str, invoices: int, clinics: int, seed: int) -> tuple[list[str], str]:
    """Clinics, a patient per 10 invoices, invoices over the last two years, 1-3 lines each, payments."""
    from apps.accounts.models import User

    rng = random.Random(seed)
    user = User.objects.create_user("bench@example.test", "bench-password-123456")
    clinic_ids = [str(uuid7()) for _ in range(clinics)]
    today = date(2026, 11, 1)
    started = time.perf_counter()
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        copy_rows(
            conn,
            "clinics_clinic",
            "id, created_at, updated_at, name, slug, time_zone, currency, country, address, phone, email",
            (
                (c, "now", "now", f"Bench {n}", f"bench-{n}", "Europe/Berlin", "EUR", "DE", "", "", "")
                for n, c in enumerate(clinic_ids)
            ),
        )
        patients = [(str(uuid7()), clinic_ids[n % clinics]) for n in range(max(clinics, invoices // 10))]
        copy_rows(
            conn,
            "patients_patient",
            "id, created_at, updated_at, clinic_id, mrn, given_name, family_name, date_of_birth, sex, phone, email,"
            " address_line, city, postal_code, country, emergency_contact_name, emergency_contact_phone, active,"
            " search_name",
            (
                (
                    pid,
                    "now",
                    "now",
                    cid,
                    f"P{n:07d}",
                    "Anna",
                    "Bench",
                    "1980-01-01",
                    "female",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "DE",
                    "",
                    "",
                    "t",
                    "anna bench",
                )
                for n, (pid, cid) in enumerate(patients)
            ),
        )
        invoice_rows, line_rows, payment_rows = [], [], []
        per_clinic = dict.fromkeys(clinic_ids, 0)
        for n in range(invoices):
            pid, cid = patients[n % len(patients)]
            issued = today - timedelta(days=rng.randrange(730))
            lines = []
            for position in range(1, rng.randint(1, 3) + 1):
                price, rate = rng.choice(PRICES)
                quantity = Decimal(rng.randint(1, 3))
                net, tax = line_amounts(quantity=quantity, unit_price=price, tax_rate=rate, currency="EUR")
                lines.append((position, price, rate, quantity, net, tax))
            subtotal = sum((line[4] for line in lines), Decimal("0"))
            tax_total = sum((line[5] for line in lines), Decimal("0"))
            total = subtotal + tax_total
            kind = rng.random()
            paid = total if kind < 0.6 else (round_money(total / 2, "EUR") if kind < 0.75 else Decimal("0"))
            status = "void" if kind > 0.97 else ("paid" if paid == total else "issued")
            if status == "void":
                paid = Decimal("0")
            per_clinic[cid] += 1
            iid = str(uuid7())
            invoice_rows.append(
                (
                    iid,
                    "now",
                    "now",
                    cid,
                    pid,
                    None,
                    f"{issued.year}-{per_clinic[cid]:06d}",
                    status,
                    "EUR",
                    issued,
                    issued + timedelta(days=14),
                    "",
                    subtotal,
                    tax_total,
                    total,
                    paid,
                    None,
                    "now",
                    None,
                    None,
                    "",
                    None,
                    str(user.pk),
                    None,
                    None,
                )
            )
            for position, price, rate, quantity, net, tax in lines:
                line_rows.append(
                    (str(uuid7()), "now", "now", iid, position, None, "Item", quantity, price, rate, net, tax)
                )
            if paid:
                received = datetime.combine(issued + timedelta(days=rng.randrange(30)), datetime.min.time(), tzinfo=UTC)
                payment_rows.append(
                    (str(uuid7()), "now", "now", cid, iid, paid, "EUR", "card", "", received, str(user.pk), 0)
                )
        copy_rows(
            conn,
            "billing_invoice",
            "id, created_at, updated_at, clinic_id, patient_id, appointment_id, number, status, currency, issue_date,"
            " due_date, notes, subtotal, tax_total, total, paid_amount, overdue_since, issued_at, paid_at, voided_at,"
            " void_reason, replaces_id, created_by_id, issued_by_id, voided_by_id",
            invoice_rows,
        )
        copy_rows(
            conn,
            "billing_invoiceline",
            "id, created_at, updated_at, invoice_id, position, service_id, description, quantity, unit_price, tax_rate,"
            " net_amount, tax_amount",
            line_rows,
        )
        copy_rows(
            conn,
            "billing_payment",
            "id, created_at, updated_at, clinic_id, invoice_id, amount, currency, method, reference, received_at,"
            " received_by_id, refunded_amount",
            payment_rows,
        )
        for table in ("billing_invoice", "billing_invoiceline", "billing_payment", "patients_patient"):
            conn.execute(f"ANALYZE {table}")
    seconds = time.perf_counter() - started
    print(
        f"loaded {invoices:,} invoices ({len(line_rows):,} lines, {len(payment_rows):,} payments) over "
        f"{clinics} clinics in {seconds:.1f}s"
    )
    return clinic_ids, str(user.pk)


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
    setup_database(args.database)
    try:
        django_setup(args.database)
        clinic_ids, user_id = load(args.database, args.invoices, args.clinics, args.seed)
        measure(clinic_ids, user_id, args.runs)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_dsn(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
