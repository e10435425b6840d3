"""Invoices API, the list: filters, ordering, validated query parameters, a constant query count.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.billing.models import Invoice, Payment
from apps.billing.payments import payment_record
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.billing.tests.invoice_requests import LIST
from apps.core.roles import Role
from apps.core.tests.statements import counted
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


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


def test_the_list_orders_by_number_or_issue_date_with_drafts_last(as_user, clinic, monkeypatch):
    first, second, third = (issued_invoice(clinic) for _ in range(3))
    # Issue dates out of number order: a back-dated correction, say.
    Invoice.objects.filter(pk=first.pk).update(issue_date="2026-03-02")
    Invoice.objects.filter(pk=second.pk).update(issue_date="2026-01-15")
    Invoice.objects.filter(pk=third.pk).update(issue_date="2026-02-01")
    draft = draft_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])

    def ids(ordering):
        response = client.get(LIST, {"ordering": ordering})
        assert response.status_code == 200, response.data
        return [item["id"] for item in response.data["results"]]

    def of(*invoices):
        return [str(invoice.pk) for invoice in invoices]

    assert ids("number") == of(first, second, third, draft)
    assert ids("-number") == of(third, second, first, draft)
    assert ids("issue_date") == of(second, third, first, draft)
    assert ids("-issue_date") == of(first, third, second, draft)
    assert ids("") == of(draft, third, second, first)  # newest first by default


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("invoice-list", {"ordering": "total"}, "ordering"),
        ("invoice-list", {"ordering": "number\x00"}, "ordering"),
        ("invoice-list", {"overdue": "maybe"}, "overdue"),
        ("invoice-list", {"clinic": "not-a-uuid"}, "clinic"),
        ("service-list", {"active": "perhaps"}, "active"),
        ("payment-list", {"invoice": "12"}, "invoice"),
        ("credit-note-list", {"invoice": "not-a-uuid"}, "invoice"),
    ],
)
def test_billing_lists_validate_their_query_parameters(as_user, clinic, route, params, field):
    response = as_user(clinic.staff[Role.BILLING]).get(reverse(route), params)
    assert response.status_code == 400
    body = response.json()  # a NUL is refused by middleware before DRF, in the same shape
    assert body["code"] in ("invalid", "invalid_query")
    assert field in body["fields"]


def test_an_invoices_payments_are_read_through_tenancy(as_user, clinic, other_clinic):
    """A payment row of another clinic pointing at this invoice (a corrupt row, say) is never shown."""
    invoice = issued_invoice(clinic)
    mine = payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal("10.00"), method="cash")
    stray = payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal("5.00"), method="cash")
    Payment.objects.filter(pk=stray.pk).update(clinic=other_clinic)
    response = as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-payments", args=[invoice.pk]))
    assert response.status_code == 200
    assert [item["id"] for item in response.data["results"]] == [str(mine.pk)]
