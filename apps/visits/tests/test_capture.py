"""Charge capture: a completed visit drafts its appointment's invoice; cancellation voids a draft, an issued one needs
a credit note."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.billing.models import Invoice, InvoiceStatus
from apps.billing.services import invoice_issue
from apps.billing.tests.factories import CatalogItemFactory, draft_invoice
from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus
from apps.visits.capture import visit_complete
from apps.visits.models import Visit
from apps.visits.services import visit_sign
from apps.visits.tests.factories import open_visit

pytestmark = pytest.mark.django_db


def complete_url(visit):
    return reverse("visit-complete", args=[visit.pk])


def cancel_url(appointment):
    return reverse("appointment-cancel", args=[appointment.pk])


def signed_visit(clinic, services):
    visit = open_visit(clinic, services=services)
    return visit_sign(actor=visit.practitioner, visit=visit)


def test_completing_drafts_the_invoice_at_the_catalogs_prices_of_that_moment(as_user, clinic):
    consult = CatalogItemFactory(clinic=clinic, code="CONS", name="Consultation", price=Decimal("87.23"), tax_rate=19)
    swab = CatalogItemFactory(clinic=clinic, code="SWAB", name="Throat swab", price=Decimal("12.50"), tax_rate=0)
    visit = signed_visit(clinic, [(consult, Decimal("1")), (swab, Decimal("2"))])
    consult.price = Decimal("90.00")  # the price at completion counts, not the price when the service was noted
    consult.save()
    client = as_user(clinic.staff[Role.PRACTITIONER])
    response = client.post(complete_url(visit))
    assert response.status_code == 200, response.data
    visit.refresh_from_db()
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.appointment_id, invoice.patient_id) == (
        "draft",
        visit.appointment_id,
        visit.patient_id,
    )
    lines = list(invoice.lines.values_list("description", "quantity", "unit_price", "tax_rate", "net_amount"))
    assert lines == [
        ("Consultation", Decimal("1"), Decimal("90.00"), Decimal("19"), Decimal("90.00")),
        ("Throat swab", Decimal("2"), Decimal("12.50"), Decimal("0"), Decimal("25.00")),
    ]
    assert invoice.total == Decimal("132.10")  # 90.00 + 17.10 tax + 25.00
    assert visit.invoice_id == invoice.pk
    again = client.post(complete_url(visit))
    assert (again.status_code, again.data["code"]) == (409, "visit_completed")
    assert Invoice.objects.count() == 1


def test_completing_answers_with_the_invoice_and_needs_a_signature(as_user, clinic):
    service = CatalogItemFactory(clinic=clinic)
    unsigned = open_visit(clinic, services=[(service, Decimal("1"))])
    client = as_user(clinic.staff[Role.PRACTITIONER])
    response = client.post(complete_url(unsigned))
    assert (response.status_code, response.data["code"]) == (409, "visit_not_signed")
    assert not Invoice.objects.exists()
    visit_sign(actor=unsigned.practitioner, visit=unsigned)
    response = client.post(complete_url(unsigned))
    assert response.status_code == 200, response.data
    assert response.data["invoice"] == str(Invoice.objects.get().pk)
    assert response.data["completed_at"] is not None


def test_ten_services_complete_in_one_transaction(clinic, monkeypatch):
    services = [(CatalogItemFactory(clinic=clinic), Decimal("1")) for _ in range(10)]
    visit = signed_visit(clinic, services)

    def fail_at_the_end(**kwargs):
        raise RuntimeError("crash after the invoice was written")

    # A failure at the last step leaves nothing behind: the draft and the completion are one transaction.
    monkeypatch.setattr("apps.visits.capture.audit_record", fail_at_the_end)
    with pytest.raises(RuntimeError):
        visit_complete(actor=visit.practitioner, visit=visit)
    assert not Invoice.objects.exists()
    visit.refresh_from_db()
    assert (visit.completed_at, visit.invoice_id) == (None, None)
    monkeypatch.undo()
    with CaptureQueriesContext(connection) as queries:
        visit_complete(actor=visit.practitioner, visit=visit)
    statements = [q["sql"] for q in queries.captured_queries]
    assert Invoice.objects.get().lines.count() == 10
    # lines go in as one bulk insert, and the whole completion stays a handful of statements
    assert sum(1 for sql in statements if sql.startswith('INSERT INTO "billing_invoiceline"')) == 1
    assert len([sql for sql in statements if "SAVEPOINT" not in sql]) <= 20  # 19 measured; not per service


def test_a_visit_without_services_drafts_nothing_and_a_hand_made_invoice_stands(clinic):
    empty = signed_visit(clinic, [])
    assert visit_complete(actor=empty.practitioner, visit=empty).invoice_id is None
    service = CatalogItemFactory(clinic=clinic)
    visit = signed_visit(clinic, [(service, Decimal("3"))])
    by_hand = draft_invoice(clinic, patient=visit.patient, appointment_id=visit.appointment_id)
    assert visit_complete(actor=visit.practitioner, visit=visit).invoice_id == by_hand.pk
    assert Invoice.objects.filter(appointment_id=visit.appointment_id).count() == 1


def test_other_roles_cannot_complete(as_user, clinic):
    visit = signed_visit(clinic, [(CatalogItemFactory(clinic=clinic), Decimal("1"))])
    for role in (Role.OWNER, Role.ADMIN, Role.RECEPTIONIST, Role.BILLING):
        assert as_user(clinic.staff[role]).post(complete_url(visit)).status_code in (403, 404), role
    assert not Invoice.objects.exists()
    assert Visit.objects.get().completed_at is None


# --- cancellation (apps.scheduling.hooks) ------------------------------------------------------


def test_cancelling_an_appointment_voids_its_draft(as_user, clinic):
    visit = signed_visit(clinic, [(CatalogItemFactory(clinic=clinic), Decimal("1"))])
    invoice = visit_complete(actor=visit.practitioner, visit=visit).invoice
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(cancel_url(visit.appointment), {"reason": "Patient ill"})
    assert response.status_code == 200, response.data
    invoice.refresh_from_db()
    assert (invoice.status, invoice.void_reason) == (InvoiceStatus.VOID, "Appointment cancelled")


def test_cancelling_an_appointment_with_an_issued_invoice_needs_a_credit_note(as_user, clinic):
    visit = signed_visit(clinic, [(CatalogItemFactory(clinic=clinic), Decimal("1"))])
    invoice = visit_complete(actor=visit.practitioner, visit=visit).invoice
    invoice = invoice_issue(actor=clinic.staff[Role.BILLING], invoice=invoice)
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(cancel_url(visit.appointment), {"reason": "Patient ill"})
    assert (response.status_code, response.data["code"]) == (409, "credit_note_required")
    assert invoice.number in response.data["message"]
    visit.appointment.refresh_from_db()
    invoice.refresh_from_db()
    assert (visit.appointment.status, invoice.status) == (AppointmentStatus.CHECKED_IN, InvoiceStatus.ISSUED)
