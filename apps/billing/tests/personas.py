"""Persona entries for the catalog, invoices, payments, refunds and reports."""

import uuid
from decimal import Decimal

from apps.billing.credit_notes import credit_note_issue
from apps.billing.models import IdempotencyRecord, Refund
from apps.billing.payments import payment_record
from apps.billing.services import invoice_void
from apps.billing.tests.factories import CatalogItemFactory, draft_invoice, issued_invoice
from apps.core.roles import Role
from apps.patients.tests.personas import new_patient_id
from tests.personas import PersonaCase, Target


def new_service(target: Target, obj) -> dict:
    code = f"P-{uuid.uuid4().hex[:8]}"
    return {"clinic": str(target.clinic.pk), "code": code, "name": "Persona service", "price": "50.00"}


def new_invoice(target: Target, obj) -> dict:
    return {
        "clinic": str(target.clinic.pk),
        "patient": new_patient_id(target.clinic),
        "lines": [{"description": "Consultation", "quantity": "1", "unit_price": "80.00", "tax_rate": "0"}],
    }


def a_draft(target: Target):
    return draft_invoice(target.clinic)


def an_issued_invoice(target: Target):
    return issued_invoice(target.clinic)


def a_void_invoice(target: Target):
    return invoice_void(actor=target.staff(Role.BILLING), invoice=issued_invoice(target.clinic), reason="typo")


def a_payment(target: Target):
    invoice = issued_invoice(target.clinic)
    return payment_record(actor=target.staff(Role.BILLING), invoice=invoice, amount=Decimal("100.00"), method="cash")


def a_fresh_key(target: Target) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def a_credit_note(target: Target):
    invoice = issued_invoice(target.clinic)
    return credit_note_issue(actor=target.staff(Role.BILLING), invoice=invoice, reason="Correction", kind="full")


def new_credit_note(target: Target, obj) -> dict:
    invoice = issued_invoice(target.clinic)
    return {"invoice": str(invoice.pk), "kind": "amount", "amount": "10.00", "reason": "Goodwill"}


PERSONAS = {
    "credit-note-list": PersonaCase(make_object=a_credit_note, body=new_credit_note, body_clinic_field="invoice"),
    "credit-note-detail": PersonaCase(make_object=a_credit_note),
    "credit-note-pdf": PersonaCase(make_object=a_credit_note),
    "service-list": PersonaCase(make_object=lambda target: CatalogItemFactory(clinic=target.clinic), body=new_service),
    "service-detail": PersonaCase(
        make_object=lambda target: CatalogItemFactory(clinic=target.clinic),
        body=lambda target, obj: {"name": "Renamed"},
    ),
    "invoice-list": PersonaCase(make_object=a_draft, body=new_invoice),
    # Receptionists write the drafts they created ("write_own_draft"); anyone's draft needs "write".
    "invoice-detail": PersonaCase(
        make_object=lambda target: draft_invoice(target.clinic, actor=target.owner),
        body=lambda target, obj: {"notes": "Persona note"},
        others="write",
    ),
    "invoice-issue": PersonaCase(make_object=a_draft, body=lambda target, obj: {}),
    "invoice-payments": PersonaCase(
        make_object=an_issued_invoice,
        body=lambda target, obj: {"amount": "40.00", "method": "card"},
        headers=a_fresh_key,
    ),
    "invoice-pdf": PersonaCase(make_object=an_issued_invoice),
    "invoice-reissue": PersonaCase(make_object=a_void_invoice),
    "invoice-void": PersonaCase(make_object=an_issued_invoice, body=lambda target, obj: {"reason": "Wrong patient"}),
    "payment-list": PersonaCase(make_object=a_payment),
    "payment-detail": PersonaCase(make_object=a_payment),
    "payment-refunds": PersonaCase(
        make_object=a_payment, body=lambda target, obj: {"amount": "10.00", "reason": "Goodwill"}, models=(Refund,)
    ),
    "report-aging": PersonaCase(),
    "report-revenue": PersonaCase(),
}

INTERNAL_MODELS = {IdempotencyRecord: "stored answers of Idempotency-Key requests, replayed by payments/ and refunds/"}
