"""Credit notes at scale: issue them through the full request path against a clinic of many invoices.

Usage (PostgreSQL on 127.0.0.1 as postgres; uses and drops its own database):

    .venv/bin/python bench/credit_notes.py --invoices 200000 --clinics 20 --runs 300

Loads invoices, lines and payments with COPY (bench/data.py), then times
``POST /api/v1/credit-notes/`` (by amount, by lines, in full; each on a fresh
issued invoice, some of them paid so the refund path runs too) and prints
p50, p95, p99 and max with the queries per request, and the credit-note
number sequence check (gapless).
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402
from bench.billing import django_setup, load  # noqa: E402


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def timed(label: str, targets: list[Any], call: Callable[[Any], None], warmup: int = 3) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for target in targets[:warmup]:
        call(target)
    timings, counts = [], set()
    for target in targets[warmup:]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call(target)
            timings.append((time.perf_counter() - started) * 1000)
        counts.add(len(queries))
    timings.sort()
    print(
        f"{label:<40} n {len(timings):4d}  p50 {statistics.median(timings):6.1f} ms  "
        f"p95 {percentile(timings, 0.95):6.1f}  p99 {percentile(timings, 0.99):6.1f}  max {timings[-1]:6.1f} ms  "
        f"queries/request {sorted(counts)}"
    )


def measure(clinic_ids: list[str], user_id: str, runs: int) -> None:
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.accounts.models import User
    from apps.billing.models import CreditNote, Invoice
    from apps.clinics.models import Clinic, Membership

    clinic = Clinic.objects.get(pk=clinic_ids[0])
    user = User.objects.get(pk=user_id)
    Membership.objects.create(user=user, clinic=clinic, role="billing")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    print(
        f"\none clinic: {Invoice.objects.filter(clinic=clinic).count():,} invoices "
        f"(all clinics: {Invoice.objects.count():,})\n"
    )
    issued = Invoice.objects.filter(clinic=clinic, status="issued", total__gt=10).order_by("id")
    paid = Invoice.objects.filter(clinic=clinic, status="paid", total__gt=10).order_by("id")
    need = runs + 3
    by_amount = list(issued.values_list("pk", flat=True)[:need])
    in_full = list(issued.values_list("pk", flat=True)[need : 2 * need])
    refunding = list(paid.values_list("pk", flat=True)[:need])
    lines_of = {
        pk: str(Invoice.objects.get(pk=pk).lines.order_by("position").values_list("pk", flat=True)[0])
        for pk in issued.values_list("pk", flat=True)[2 * need : 3 * need]
    }

    def post(body: dict[str, Any]) -> None:
        response = client.post("/api/v1/credit-notes/", body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    timed(
        "POST credit-notes/ (amount 1.00)",
        by_amount,
        lambda pk: post({"invoice": str(pk), "kind": "amount", "amount": "1.00", "reason": "bench"}),
    )
    timed(
        "POST credit-notes/ (full)", in_full, lambda pk: post({"invoice": str(pk), "kind": "full", "reason": "bench"})
    )
    timed(
        "POST credit-notes/ (one line)",
        list(lines_of),
        lambda pk: post(
            {"invoice": str(pk), "kind": "lines", "lines": [{"line": lines_of[pk], "quantity": "1"}], "reason": "bench"}
        ),
    )
    timed(
        "POST credit-notes/ (paid: with refund)",
        refunding,
        lambda pk: post({"invoice": str(pk), "kind": "amount", "amount": "1.00", "reason": "bench"}),
    )
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in CreditNote.objects.filter(clinic=clinic).values_list("number", flat=True)
    )
    print(
        f"\ncredit notes issued: {len(numbers)}, numbers 1..{numbers[-1]}, "
        f"gapless: {numbers == list(range(1, len(numbers) + 1))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database", default="clinicops_bench_credit_notes")
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
