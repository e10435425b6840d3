"""Invoices API: bad input writes nothing, issue numbering, immutability, void, re-issue.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.models import Invoice, InvoiceLine, InvoiceStatus
from apps.billing.services import LineInput, invoice_issue, invoice_update
from apps.billing.tests.factories import ServiceFactory, draft_invoice, issued_invoice
from apps.core.roles import Role
from apps.core.tests.statements import counted
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
LIST = reverse("invoice-list")


def detail(invoice):
    return reverse("invoice-detail", args=[invoice.pk])


def act(invoice, name):
    return reverse(f"invoice-{name}", args=[invoice.pk])


def payload(clinic, patient=None, **overrides):
    body = {
        "clinic": str(clinic.pk),
        "patient": patient if isinstance(patient, str) else str((patient or PatientFactory(clinic=clinic)).pk),
        "lines": [{"description": "Consultation", "quantity": "1", "unit_price": "80.00", "tax_rate": "0"}],
    }
    body.update(overrides)
    return body


def line(**fields):
    body = {"description": "Item", "quantity": "1", "unit_price": "10.00"}
    body.update(fields)
    return body


def snapshot(invoice):
    invoice.refresh_from_db()
    lines = list(InvoiceLine.objects.filter(invoice=invoice).values_list("description", "quantity", "unit_price"))
    return (invoice.status, invoice.number, invoice.total, invoice.notes, invoice.void_reason, lines)


# --- create and read -------------------------------------------------------


def test_a_created_draft_has_its_lines_priced_and_taxed(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    service = ServiceFactory(clinic=clinic, price=Decimal("45.00"), tax_rate=Decimal("19"), name="ECG")
    body = payload(clinic, lines=[{"service": str(service.pk), "quantity": "2"}, line(unit_price="4.99")])
    response = as_user(clinic.staff[role]).post(LIST, body)
    assert response.status_code == 201, response.data
    data = response.data
    assert (data["status"], data["number"], data["currency"]) == ("draft", "", "EUR")
    assert [item["description"] for item in data["lines"]] == ["ECG", "Item"]
    assert data["lines"][0]["unit_price"] == "45.00"
    assert data["lines"][0]["tax_rate"] == "19"
    # 2 x 45.00 = 90.00, 19 % = 17.10; 4.99 untaxed; a draft's balance is its whole total (nothing paid)
    assert (data["subtotal"], data["tax_total"], data["total"]) == ("94.99", "17.10", "112.09")
    assert data["balance"] == "112.09"
    invoice = Invoice.objects.get()
    assert invoice.created_by == clinic.staff[role]
    assert AuditEvent.objects.filter(action="invoice.create", resource_id=str(invoice.pk)).exists()


def test_list_filters_by_status_patient_and_overdue(as_user, clinic):
    patient = PatientFactory(clinic=clinic)
    draft = draft_invoice(clinic, patient=patient)
    issued = issued_invoice(clinic)
    Invoice.objects.filter(pk=issued.pk).update(overdue_since="2026-01-01")
    client = as_user(clinic.staff[Role.BILLING])

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.data
        return [item["id"] for item in response.data["results"]]

    assert ids(status="draft") == [str(draft.pk)]
    assert ids(patient=str(patient.pk)) == [str(draft.pk)]
    assert ids(overdue="true") == [str(issued.pk)]
    assert ids(overdue="false") == [str(draft.pk)]
    assert client.get(LIST, {"status": "bogus"}).status_code == 400
    assert client.get(LIST, {"patient": "not-a-uuid"}).status_code == 400


def test_the_list_issues_the_same_few_queries_whatever_the_page_size(as_user, clinic):
    for _ in range(25):
        draft_invoice(clinic, lines=None)
    client = as_user(clinic.staff[Role.OWNER])
    counts = {}
    for page_size in (5, 25):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.data["results"]) == page_size
        counts[page_size] = len(counted(queries))
    # the user (JWT) with memberships, the page, its lines, the audit insert
    assert counts[5] == counts[25] <= 4


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": [line(quantity="-1")]}, "lines"),
        ({"lines": [line(quantity="0")]}, "lines"),
        ({"lines": [line(quantity="1.00001")]}, "lines"),
        ({"lines": [line(unit_price="10.12345")]}, "lines"),  # five decimals
        ({"lines": [line(unit_price=0.1 + 0.2)]}, "lines"),  # a float's binary noise: 0.30000000000000004
        ({"lines": [line(unit_price="-5.00")]}, "lines"),
        ({"lines": [line(unit_price="NaN")]}, "lines"),
        ({"lines": [line(unit_price="Infinity")]}, "lines"),
        ({"lines": [line(unit_price="1e20")]}, "lines"),
        ({"lines": [line(quantity="99999999", unit_price="99999999")]}, "lines"),  # past the amount columns
        ({"lines": [line(quantity="1", unit_price="99999999")] * 101}, "lines"),
        ({"lines": [line(tax_rate="101")]}, "lines"),
        ({"lines": [line(tax_rate="-1")]}, "lines"),
        ({"lines": [line(colour="red")]}, "lines"),
        ({"lines": [{"quantity": "1"}]}, "lines"),  # neither a service nor a description and price
        ({"lines": [{"service": "not-a-uuid", "quantity": "1"}]}, "lines"),
        ({"lines": "many"}, "lines"),
        ({"lines": [line()] * 201}, "lines"),
        ({"currency": "XYZ"}, "currency"),  # unknown currency
        ({"currency": "USD"}, "currency"),  # a real one, but not the clinic's
        ({"currency": "euro"}, "currency"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"number": "2026-000001"}, "number"),
        ({"status": "paid"}, "status"),
        ({"notes": "a\x00b"}, "notes"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(as_user, clinic, overrides, field):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, **overrides), format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"]
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()
    assert not AuditEvent.objects.filter(action="invoice.create").exists()


def test_another_clinics_patient_or_service_is_400_and_writes_nothing(as_user, clinic, other_clinic):
    client = as_user(clinic.staff[Role.OWNER])
    their_patient = PatientFactory(clinic=other_clinic)
    response = client.post(LIST, payload(clinic, patient=their_patient))
    assert response.status_code == 400
    assert "patient" in response.data["fields"]
    their_service = ServiceFactory(clinic=other_clinic)
    response = client.post(LIST, payload(clinic, lines=[{"service": str(their_service.pk), "quantity": "1"}]))
    assert response.status_code == 400
    assert response.data["fields"]["lines"] == {"0": {"service": ["No such active service in this clinic's catalog."]}}
    inactive = ServiceFactory(clinic=clinic, active=False)
    response = client.post(LIST, payload(clinic, lines=[{"service": str(inactive.pk), "quantity": "1"}]))
    assert response.status_code == 400
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


def test_unknown_currency_of_the_input_is_coded(as_user, clinic):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, currency="XYZ"))
    assert response.data["code"] == "invalid_currency"
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, currency="USD"))
    assert response.data["code"] == "currency_mismatch"
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, currency="EUR"))
    assert response.status_code == 201


# --- drafts --------------------------------------------------------------------


def test_editing_a_draft_replaces_its_lines(as_user, clinic):
    role = Role.BILLING  # one permitted role; tests/test_personas.py covers the others
    invoice = draft_invoice(clinic)
    body = {"notes": "Thank you", "lines": [line(quantity="2", unit_price="12.50", tax_rate="19")]}
    response = as_user(clinic.staff[role]).patch(detail(invoice), body)
    assert response.status_code == 200, response.data
    assert response.data["notes"] == "Thank you"
    assert [item["net_amount"] for item in response.data["lines"]] == ["25.00"]
    assert response.data["total"] == "29.75"
    assert InvoiceLine.objects.filter(invoice=invoice).count() == 1


def test_bad_edit_of_a_draft_changes_nothing(as_user, clinic):
    invoice = draft_invoice(clinic)
    before = snapshot(invoice)
    client = as_user(clinic.staff[Role.BILLING])
    for body in ({"lines": [line(quantity="-2")]}, {"clinic": str(clinic.pk)}, {"currency": "XYZ"}, {"number": "1"}):
        assert client.patch(detail(invoice), body, format="json").status_code == 400, body
    assert snapshot(invoice) == before


def test_a_draft_can_be_deleted(as_user, clinic):
    invoice = draft_invoice(clinic)
    assert as_user(clinic.staff[Role.BILLING]).delete(detail(invoice)).status_code == 204
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


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
