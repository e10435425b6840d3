"""Invoices API, after the draft: issue numbering, immutability, void, re-issue.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.models import InvoiceStatus
from apps.billing.services import LineInput, invoice_issue, invoice_update
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.billing.tests.invoice_requests import act, detail, line, snapshot
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


# --- issue -------------------------------------------------------------------------


def test_issue_assigns_the_next_number_and_dates(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    from apps.billing.services import clinic_today

    first, second = draft_invoice(clinic), draft_invoice(clinic)
    client = as_user(clinic.staff[role])
    response = client.post(act(second, "issue"), {})
    assert response.status_code == 200, response.data
    today = clinic_today(clinic)
    assert response.data["number"] == f"{today.year}-000001"
    assert response.data["status"] == "issued"
    assert response.data["issue_date"] == today.isoformat()
    assert response.data["due_date"] == (today + timedelta(days=14)).isoformat()
    response = client.post(act(first, "issue"), {"due_date": (today.replace(day=1)).isoformat()})
    if today.day > 1:  # a due date before the issue date
        assert response.status_code == 400
        assert snapshot(first)[0] == InvoiceStatus.DRAFT
        response = client.post(act(first, "issue"), {"due_date": today.isoformat()})
    assert response.data["number"] == f"{today.year}-000002"
    assert response.data["due_date"] == today.isoformat()


def test_an_empty_draft_cannot_be_issued(as_user, clinic):
    invoice = draft_invoice(clinic)
    invoice_update(actor=clinic.staff[Role.BILLING], invoice=invoice, changes={"lines": []})
    response = as_user(clinic.staff[Role.BILLING]).post(act(invoice, "issue"), {})
    assert response.status_code == 409
    assert response.data["code"] == "invoice_empty"
    assert snapshot(invoice)[:2] == (InvoiceStatus.DRAFT, "")


def test_a_failed_issue_gives_its_number_back(clinic, monkeypatch):
    from apps.billing import services

    invoice = draft_invoice(clinic)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        invoice_issue(actor=clinic.staff[Role.BILLING], invoice=invoice)
    monkeypatch.undo()
    assert snapshot(invoice)[:2] == (InvoiceStatus.DRAFT, "")
    issued = invoice_issue(actor=clinic.staff[Role.BILLING], invoice=invoice)
    assert issued.number.endswith("-000001")


def test_numbers_restart_each_year_and_are_per_clinic(clinic, other_clinic, monkeypatch):
    from datetime import date

    from apps.billing import services

    ours = issued_invoice(clinic)
    theirs = issued_invoice(other_clinic)
    assert ours.number.endswith("-000001")
    assert theirs.number.endswith("-000001")
    monkeypatch.setattr(services, "clinic_today", lambda clinic, now=None: date(2031, 1, 1))
    assert issued_invoice(clinic).number == "2031-000001"
    assert issued_invoice(clinic).number == "2031-000002"


def test_a_zero_total_invoice_is_paid_on_issue(clinic):
    free = LineInput(description="Free check-up", quantity=Decimal("1"), unit_price=Decimal("0"))
    invoice = issued_invoice(clinic, lines=[free])
    assert (invoice.status, invoice.balance) == (InvoiceStatus.PAID, Decimal("0"))


# --- immutability, void, re-issue ---------------------------------------------------


@pytest.mark.parametrize("state", ["issued", "paid", "void"])
def test_issued_invoices_are_immutable(as_user, clinic, state):
    from apps.billing.payments import payment_record
    from apps.billing.services import invoice_void

    invoice = issued_invoice(clinic)
    if state == "paid":
        payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=invoice.total, method="cash")
    if state == "void":
        invoice_void(actor=clinic.staff[Role.BILLING], invoice=invoice, reason="wrong patient")
    before = snapshot(invoice)
    client = as_user(clinic.staff[Role.OWNER])
    for body in ({"notes": "edited"}, {"lines": [line(unit_price="1.00")]}, {"due_date": "2099-01-01"}):
        response = client.patch(detail(invoice), body, format="json")
        assert response.status_code == 409, body
        assert response.data["code"] == "invoice_immutable"
    response = client.delete(detail(invoice))
    assert (response.status_code, response.data["code"]) == (409, "invoice_immutable")
    response = client.post(act(invoice, "issue"), {})
    assert (response.status_code, response.data["code"]) == (409, "invoice_immutable")
    assert snapshot(invoice) == before


def test_void_needs_a_reason(as_user, clinic):
    role = Role.ADMIN  # one permitted role; tests/test_personas.py covers the others
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[role])
    assert client.post(act(invoice, "void"), {}).status_code == 400
    assert client.post(act(invoice, "void"), {"reason": ""}).status_code == 400
    response = client.post(act(invoice, "void"), {"reason": "Billed to the wrong patient"})
    assert response.status_code == 200, response.data
    assert (response.data["status"], response.data["number"]) == ("void", invoice.number)
    assert response.data["void_reason"] == "Billed to the wrong patient"
    assert response.data["balance"] == "0.00"
    event = AuditEvent.objects.get(action="invoice.void")
    assert "wrong patient" not in str(event.changes)
    response = client.post(act(invoice, "void"), {"reason": "again"})
    assert (response.status_code, response.data["code"]) == (409, "invoice_void")


def test_void_is_refused_for_drafts_and_for_invoices_with_money_on_them(as_user, clinic):
    from apps.billing.payments import payment_record

    client = as_user(clinic.staff[Role.BILLING])
    draft = draft_invoice(clinic)
    response = client.post(act(draft, "void"), {"reason": "x"})
    assert (response.status_code, response.data["code"]) == (409, "invoice_not_issued")
    invoice = issued_invoice(clinic)
    payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal("10.00"), method="cash")
    response = client.post(act(invoice, "void"), {"reason": "x"})
    assert (response.status_code, response.data["code"]) == (409, "invoice_has_payments")
    assert snapshot(invoice)[0] == InvoiceStatus.ISSUED


def test_reissue_copies_a_void_invoice_into_a_new_draft(as_user, clinic):
    role = Role.OWNER  # one permitted role; tests/test_personas.py covers the others
    from apps.billing.services import invoice_void

    lines = [
        LineInput(description="A", quantity=Decimal("0.3333"), unit_price=Decimal("90"), tax_rate=Decimal("19")),
        LineInput(description="B", quantity=Decimal("2"), unit_price=Decimal("4.99"), tax_rate=Decimal("7")),
    ]
    voided = invoice_void(actor=clinic.staff[Role.BILLING], invoice=issued_invoice(clinic, lines=lines), reason="typo")
    client = as_user(clinic.staff[role])
    response = client.post(act(voided, "reissue"))
    assert response.status_code == 201, response.data
    copy = response.data
    assert (copy["status"], copy["number"], copy["replaces"]) == ("draft", "", str(voided.pk))
    assert copy["patient"] == str(voided.patient_id)
    assert copy["total"] == str(voided.total.quantize(Decimal("0.01")))
    assert [(item["description"], item["quantity"]) for item in copy["lines"]] == [("A", "0.3333"), ("B", "2")]
    response = client.post(act(voided, "reissue"))
    assert (response.status_code, response.data["code"]) == (409, "invoice_already_reissued")
    issued = client.post(reverse("invoice-issue", args=[copy["id"]]), {})
    assert issued.data["number"].endswith("-000002")
    assert snapshot(voided)[:2] == (InvoiceStatus.VOID, voided.number)


def test_reissue_needs_a_void_invoice(as_user, clinic):
    invoice = issued_invoice(clinic)
    response = as_user(clinic.staff[Role.BILLING]).post(act(invoice, "reissue"))
    assert (response.status_code, response.data["code"]) == (409, "invoice_not_void")
    from apps.billing.services import invoice_void

    invoice_void(actor=clinic.staff[Role.BILLING], invoice=invoice, reason="x")
    assert as_user(clinic.staff[Role.BILLING]).post(act(invoice, "reissue")).status_code == 201
