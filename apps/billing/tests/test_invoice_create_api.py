"""Invoices API, creating and editing drafts: lines priced and taxed, bad input writes nothing, edits, deletion.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.billing.models import Invoice, InvoiceLine
from apps.billing.tests.factories import CatalogItemFactory, draft_invoice
from apps.billing.tests.invoice_requests import LIST, detail, line, payload, snapshot
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


# --- create and read -------------------------------------------------------


def test_a_created_draft_has_its_lines_priced_and_taxed(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    service = CatalogItemFactory(clinic=clinic, price=Decimal("45.00"), tax_rate=Decimal("19"), name="ECG")
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
    their_service = CatalogItemFactory(clinic=other_clinic)
    response = client.post(LIST, payload(clinic, lines=[{"service": str(their_service.pk), "quantity": "1"}]))
    assert response.status_code == 400
    assert response.data["fields"]["lines"] == {"0": {"service": ["No such active service in this clinic's catalog."]}}
    inactive = CatalogItemFactory(clinic=clinic, active=False)
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
