"""Requests of the invoices API tests: URLs, a valid body, a line, a snapshot to compare before and after."""

from django.urls import reverse

from apps.billing.models import InvoiceLine
from apps.patients.tests.factories import PatientFactory

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
