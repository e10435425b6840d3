"""Payments and refunds: Idempotency-Key replay and refusal, over-payment and over-refund, roles, other clinics."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.models import IdempotencyRecord, Invoice, InvoiceStatus, Payment, Refund
from apps.billing.payments import payment_record
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


def pay_url(invoice):
    return reverse("invoice-payments", args=[invoice.pk])


def refund_url(payment):
    return reverse("payment-refunds", args=[payment.pk])


def pay(client, invoice, key="key-1", **body):
    body = {"amount": "40.00", "method": "card", **body}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(pay_url(invoice), body, format="json", **headers)


def money_state(invoice):
    invoice.refresh_from_db()
    return (invoice.status, invoice.paid_amount, Payment.objects.count(), Refund.objects.count())


def paid_payment(clinic, amount="100.00"):
    invoice = issued_invoice(clinic)
    return payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal(amount), method="cash")


# --- taking payments ---------------------------------------------------------------


def test_payments_are_taken_and_the_invoice_is_paid_when_covered(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    invoice = issued_invoice(clinic)  # 100.00
    client = as_user(clinic.staff[role])
    first = pay(client, invoice, key="a", amount="40.00", reference="POS 1")
    assert first.status_code == 201, first.data
    assert (first.data["amount"], first.data["method"], first.data["reference"]) == ("40.00", "card", "POS 1")
    assert (first.data["invoice_status"], first.data["invoice_balance"]) == ("issued", "60.00")
    second = pay(client, invoice, key="b", amount=60)  # a JSON number is fine when it is exact
    assert second.status_code == 201, second.data
    assert (second.data["invoice_status"], second.data["invoice_balance"]) == ("paid", "0.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount, invoice.balance) == (InvoiceStatus.PAID, Decimal("100"), Decimal("0"))
    assert invoice.paid_at is not None
    assert AuditEvent.objects.filter(action="payment.create").count() == 2
    listed = client.get(pay_url(invoice))
    assert [p["amount"] for p in listed.data["results"]] == ["40.00", "60.00"]


def test_over_payment_is_refused_with_the_balance(as_user, clinic):
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    assert pay(client, invoice, key="a", amount="70.00").status_code == 201
    response = pay(client, invoice, key="b", amount="30.01")
    assert response.status_code == 409
    assert (response.data["code"], response.data["balance"]) == ("overpayment", "30.00")
    assert money_state(invoice) == (InvoiceStatus.ISSUED, Decimal("70"), 1, 0)
    assert pay(client, invoice, key="c", amount="30.00").status_code == 201
    response = pay(client, invoice, key="d", amount="0.01")
    assert (response.status_code, response.data["code"]) == (409, "overpayment")


@pytest.mark.parametrize(
    ("make", "code"), [(draft_invoice, "invoice_not_issued"), ("void", "invoice_void")], ids=["draft", "void"]
)
def test_payments_need_an_issued_invoice(as_user, clinic, make, code):
    from apps.billing.services import invoice_void

    if make == "void":
        invoice = invoice_void(actor=clinic.staff[Role.BILLING], invoice=issued_invoice(clinic), reason="x")
    else:
        invoice = make(clinic)
    response = pay(as_user(clinic.staff[Role.BILLING]), invoice)
    assert (response.status_code, response.data["code"]) == (409, code)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-10.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "10.001"}, "amount"),  # EUR has two decimal places
        ({"amount": "10.00001"}, "amount"),
        ({"amount": 0.1 + 0.2}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "USD"}, "currency"),
        ({"tip": "5.00"}, "tip"),
    ],
)
def test_bad_payments_are_400_and_write_nothing(as_user, clinic, body, field):
    invoice = issued_invoice(clinic)
    response = pay(as_user(clinic.staff[Role.BILLING]), invoice, **body)
    assert response.status_code == 400, response.data
    assert field in response.data["fields"]
    assert money_state(invoice) == (InvoiceStatus.ISSUED, Decimal("0"), 0, 0)
    assert not AuditEvent.objects.filter(action="payment.create").exists()


def test_yen_payments_are_whole_yen(as_user, clinic):
    from apps.billing.services import LineInput

    clinic.currency = "JPY"
    clinic.save()
    invoice = issued_invoice(
        clinic, lines=[LineInput(description="x", quantity=Decimal("1"), unit_price=Decimal("5000"))]
    )
    client = as_user(clinic.staff[Role.BILLING])
    assert pay(client, invoice, key="a", amount="100.5").status_code == 400
    response = pay(client, invoice, key="b", amount="100")
    assert response.status_code == 201
    assert (response.data["amount"], response.data["invoice_balance"]) == ("100", "4900")


# --- idempotency -------------------------------------------------------------------


def test_a_payment_without_an_idempotency_key_is_400(as_user, clinic):
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    response = pay(client, invoice, key=None)
    assert (response.status_code, response.data["code"]) == (400, "idempotency_key_required")
    for bad in ("", "   ", "x" * 256, "clé"):
        assert pay(client, invoice, key=bad).status_code == 400, bad
    assert money_state(invoice) == (InvoiceStatus.ISSUED, Decimal("0"), 0, 0)


def test_a_replay_returns_the_first_response_and_pays_once(as_user, clinic):
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    first = pay(client, invoice, key="retry-me", amount="25.00")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    again = client.post(
        pay_url(invoice),
        {"method": "card", "amount": "25.00"},  # same body, other key order
        format="json",
        HTTP_IDEMPOTENCY_KEY="retry-me",
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert money_state(invoice) == (InvoiceStatus.ISSUED, Decimal("25"), 1, 0)
    assert AuditEvent.objects.filter(action="payment.create").count() == 1


def test_a_replay_by_another_member_of_the_clinic_gets_the_same_answer(as_user, clinic):
    invoice = issued_invoice(clinic)
    first = pay(as_user(clinic.staff[Role.RECEPTIONIST]), invoice, key="shared")
    again = pay(as_user(clinic.staff[Role.BILLING]), invoice, key="shared")
    assert again.json() == first.json()
    assert Payment.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_writes_nothing(as_user, clinic):
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    assert pay(client, invoice, key="k", amount="25.00").status_code == 201
    changed = pay(client, invoice, key="k", amount="26.00")
    assert (changed.status_code, changed.data["code"]) == (422, "idempotency_key_reused")
    other_invoice = issued_invoice(clinic)
    elsewhere = pay(client, other_invoice, key="k", amount="25.00")  # same body, another invoice
    assert (elsewhere.status_code, elsewhere.data["code"]) == (422, "idempotency_key_reused")
    assert Payment.objects.count() == 1
    assert money_state(other_invoice)[:2] == (InvoiceStatus.ISSUED, Decimal("0"))


def test_a_refused_payment_is_replayed_as_refused(as_user, clinic):
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    first = pay(client, invoice, key="too-much", amount="150.00")
    assert (first.status_code, first.data["code"]) == (409, "overpayment")
    again = pay(client, invoice, key="too-much", amount="150.00")
    assert again.status_code == 409
    assert again.json() == first.json()
    assert not Payment.objects.exists()
    assert IdempotencyRecord.objects.get(key="too-much").response_status == 409


def test_keys_are_per_clinic(as_user, clinic, other_clinic):
    from apps.clinics.tests.factories import MembershipFactory

    user = clinic.staff[Role.BILLING]
    MembershipFactory(user=user, clinic=other_clinic, role=Role.BILLING)
    ours, theirs = issued_invoice(clinic), issued_invoice(other_clinic)
    client = as_user(user)
    assert pay(client, ours, key="same").status_code == 201
    assert pay(client, theirs, key="same").status_code == 201
    assert Payment.objects.count() == 2


def test_old_idempotency_records_are_pruned(clinic):
    from datetime import timedelta

    from django.utils import timezone

    from apps.billing.tasks import prune_idempotency_records

    IdempotencyRecord.objects.create(clinic=clinic, key="old", request_hash="x", actor=clinic.staff[Role.OWNER])
    IdempotencyRecord.objects.create(clinic=clinic, key="new", request_hash="x", actor=clinic.staff[Role.OWNER])
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=31))
    assert prune_idempotency_records.delay().get() == 1
    assert prune_idempotency_records.delay().get() == 0
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


# --- refunds ---------------------------------------------------------------------


def test_refunds_reopen_a_paid_invoice_and_show_its_balance(as_user, clinic):
    role = Role.BILLING  # one permitted role; tests/test_personas.py covers the others
    payment = paid_payment(clinic)
    invoice = payment.invoice
    assert money_state(invoice)[0] == InvoiceStatus.PAID
    client = as_user(clinic.staff[role])
    response = client.post(refund_url(payment), {"amount": "30.00", "reason": "Goodwill"})
    assert response.status_code == 201, response.data
    assert response.data["payment_refunded_amount"] == "30.00"
    assert (response.data["invoice_status"], response.data["invoice_balance"]) == ("issued", "30.00")
    assert money_state(invoice) == (InvoiceStatus.ISSUED, Decimal("70"), 1, 1)
    detail = client.get(reverse("invoice-detail", args=[invoice.pk])).data
    assert (detail["paid_amount"], detail["balance"]) == ("70.00", "30.00")
    shown = client.get(reverse("payment-detail", args=[payment.pk])).data
    assert shown["refunded_amount"] == "30.00"
    assert [r["amount"] for r in shown["refunds"]] == ["30.00"]
    event = AuditEvent.objects.get(action="refund.create")
    assert "Goodwill" not in str(event.changes)


def test_refunds_never_exceed_the_payment(as_user, clinic):
    payment = paid_payment(clinic, amount="100.00")
    client = as_user(clinic.staff[Role.BILLING])
    assert client.post(refund_url(payment), {"amount": "60.00", "reason": "a"}).status_code == 201
    response = client.post(refund_url(payment), {"amount": "40.01", "reason": "b"})
    assert response.status_code == 409
    assert (response.data["code"], response.data["refundable"]) == ("refund_exceeds_payment", "40.00")
    assert client.post(refund_url(payment), {"amount": "40.00", "reason": "c"}).status_code == 201
    response = client.post(refund_url(payment), {"amount": "0.01", "reason": "d"})
    assert (response.status_code, response.data["code"]) == (409, "refund_exceeds_payment")
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("100")
    assert money_state(payment.invoice) == (InvoiceStatus.ISSUED, Decimal("0"), 1, 2)


def test_a_fully_refunded_invoice_can_then_be_voided(as_user, clinic):
    payment = paid_payment(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    assert client.post(refund_url(payment), {"amount": "100.00", "reason": "cancelled"}).status_code == 201
    response = client.post(reverse("invoice-void", args=[payment.invoice_id]), {"reason": "cancelled"})
    assert response.status_code == 200
    assert response.data["status"] == "void"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "-1.00", "reason": "x"},
        {"amount": "0", "reason": "x"},
        {"amount": "1.001", "reason": "x"},
        {"amount": "1.00"},
        {"amount": "1.00", "reason": ""},
        {"amount": "1.00", "reason": "x", "currency": "XYZ"},
        {"amount": "1.00", "reason": "x", "currency": "USD"},
        {"amount": "1.00", "reason": "x", "extra": 1},
    ],
)
def test_bad_refunds_are_400_and_write_nothing(as_user, clinic, body):
    payment = paid_payment(clinic)
    response = as_user(clinic.staff[Role.BILLING]).post(refund_url(payment), body, format="json")
    assert response.status_code == 400, response.data
    assert money_state(payment.invoice) == (InvoiceStatus.PAID, Decimal("100"), 1, 0)


def test_a_refund_with_an_idempotency_key_is_made_once(as_user, clinic):
    payment = paid_payment(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    body = {"amount": "10.00", "reason": "x"}
    first = client.post(refund_url(payment), body, HTTP_IDEMPOTENCY_KEY="r1")
    again = client.post(refund_url(payment), body, HTTP_IDEMPOTENCY_KEY="r1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Refund.objects.count() == 1
    changed = client.post(refund_url(payment), {**body, "amount": "11.00"}, HTTP_IDEMPOTENCY_KEY="r1")
    assert changed.status_code == 422


def test_payment_lists_are_scoped_filtered_and_query_bounded(as_user, clinic, other_clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invoice = issued_invoice(clinic)
    for _ in range(4):
        payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal("5.00"), method="cash")
    paid_payment(other_clinic)
    client = as_user(clinic.staff[Role.PRACTITIONER])
    counts = {}
    for page_size in (2, 4):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("payment-list"), {"page_size": page_size})
        assert len(response.data["results"]) == page_size
        counts[page_size] = len(queries)
    assert counts[2] == counts[4] <= 4  # the user, memberships, the page, its refunds
    assert len(client.get(reverse("payment-list"), {"invoice": str(invoice.pk)}).data["results"]) == 4
    assert client.get(reverse("payment-list"), {"invoice": "nope"}).status_code == 400
    assert Invoice.objects.filter(clinic=clinic).count() == 1
