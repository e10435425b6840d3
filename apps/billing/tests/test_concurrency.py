"""Concurrency on PostgreSQL: gapless numbers, one payment per Idempotency-Key, no over-payment or over-refund."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.billing import payments
from apps.billing.models import IdempotencyRecord, Invoice, Payment, Refund
from apps.billing.services import clinic_today, invoice_issue
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.core.roles import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(function, count):
    """Call ``function(i)`` from ``count`` threads released at once; each closes its own connection."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=10)
            return function(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def test_twenty_concurrent_issues_get_twenty_consecutive_numbers(clinic):
    drafts = [draft_invoice(clinic) for _ in range(20)]
    biller = clinic.staff[Role.BILLING]
    numbers = run_together(lambda i: invoice_issue(actor=biller, invoice=drafts[i]).number, 20)
    year = clinic_today(clinic).year
    assert len(set(numbers)) == 20
    assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, 21)]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == sorted(numbers)


def test_concurrent_requests_with_one_key_create_one_payment(clinic, monkeypatch):
    invoice = issued_invoice(clinic)
    original = payments.payment_record

    def slow_payment(**kwargs):
        payment = original(**kwargs)
        time.sleep(0.3)  # hold the transaction open: the others must arrive while it is uncommitted
        return payment

    monkeypatch.setattr(payments, "payment_record", slow_payment)
    clients = [client_for(clinic.staff[Role.RECEPTIONIST]) for _ in range(6)]
    url = reverse("invoice-payments", args=[invoice.pk])

    def post(i):
        response = clients[i].post(
            url, {"amount": "40.00", "method": "cash"}, format="json", HTTP_IDEMPOTENCY_KEY="one-key"
        )
        return response.status_code, response.json(), response.get("Idempotent-Replayed")

    results = run_together(post, 6)
    assert {status for status, _, _ in results} == {201}
    assert len({body["id"] for _, body, _ in results}) == 1
    assert sorted(str(replayed) for _, _, replayed in results) == ["None"] + ["true"] * 5
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("40.00")


def test_concurrent_payments_never_exceed_the_balance(clinic):
    invoice = issued_invoice(clinic)  # 100.00
    clients = [client_for(clinic.staff[Role.BILLING]) for _ in range(5)]
    url = reverse("invoice-payments", args=[invoice.pk])

    def post(i):
        response = clients[i].post(url, {"amount": "30.00", "method": "card"}, HTTP_IDEMPOTENCY_KEY=f"key-{i}")
        return response.status_code, response.json().get("code")

    results = run_together(post, 5)
    assert sorted(results, key=str) == sorted([(201, None)] * 3 + [(409, "overpayment")] * 2, key=str)
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("90.00")
    assert Payment.objects.count() == 3


def test_concurrent_refunds_never_exceed_the_payment(clinic):
    invoice = issued_invoice(clinic)
    payment = payments.payment_record(
        actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal("100.00"), method="cash"
    )
    clients = [client_for(clinic.staff[Role.BILLING]) for _ in range(5)]
    url = reverse("payment-refunds", args=[payment.pk])

    def post(i):
        response = clients[i].post(url, {"amount": "30.00", "reason": "x"})
        return response.status_code

    assert sorted(run_together(post, 5)) == [201, 201, 201, 409, 409]
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.refunded_amount == Decimal("90.00")
    assert invoice.paid_amount == Decimal("10.00")
    assert Refund.objects.count() == 3
