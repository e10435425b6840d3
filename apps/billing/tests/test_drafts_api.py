"""Drafts without traps: created with their lines, edited and deleted by whoever drafted them, balance = total due,
and a real link to the appointment (same clinic, same patient, one live invoice each)."""

import pytest
from django.urls import reverse

from apps.billing.models import Invoice, InvoiceLine
from apps.billing.services import invoice_void
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.visits.tests.factories import appointment_of as _appointment

pytestmark = pytest.mark.django_db
LIST = reverse("invoice-list")


def detail(invoice_id):
    return reverse("invoice-detail", args=[invoice_id])


def body(clinic, patient, **overrides):
    data = {
        "clinic": str(clinic.pk),
        "patient": str(patient.pk),
        "lines": [{"description": "Consultation", "quantity": "1", "unit_price": "87.23", "tax_rate": "19"}],
    }
    data.update(overrides)
    return data


def appointment_for(clinic):
    return _appointment(clinic)


def test_a_create_without_lines_is_refused_with_the_reason_and_writes_nothing(as_user, clinic):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    patient = PatientFactory(clinic=clinic)
    for lines in ([], None):
        data = body(clinic, patient, lines=lines) if lines is not None else body(clinic, patient)
        if lines is None:
            del data["lines"]
        response = client.post(LIST, data, format="json")
        assert response.status_code == 400, response.data
        assert (response.data["code"], list(response.data["fields"])) == ("invoice_needs_lines", ["lines"])
        assert "at least one" in response.data["message"]
    assert not Invoice.objects.exists()


def test_a_receptionist_edits_and_deletes_the_draft_they_created(as_user, clinic):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    created = client.post(LIST, body(clinic, PatientFactory(clinic=clinic)), format="json")
    assert created.status_code == 201, created.data
    # 87.23 + 19 % (16.57) = 103.80: a draft owes its whole total
    assert (created.data["total"], created.data["balance"]) == ("103.80", "103.80")
    lines = [{"description": "Follow-up", "quantity": "2", "unit_price": "10.00"}]
    changed = client.patch(detail(created.data["id"]), {"lines": lines, "notes": "fixed"}, format="json")
    assert changed.status_code == 200, changed.data
    assert (changed.data["total"], changed.data["balance"], changed.data["notes"]) == ("20.00", "20.00", "fixed")
    assert client.delete(detail(created.data["id"])).status_code == 204
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


def test_a_receptionist_cannot_change_someone_elses_draft(as_user, clinic):
    colleague = MembershipFactory(clinic=clinic, role=Role.RECEPTIONIST).user
    theirs = draft_invoice(clinic, actor=colleague)
    billing_draft = draft_invoice(clinic)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    for invoice in (theirs, billing_draft):
        response = client.patch(detail(invoice.pk), {"notes": "mine now"}, format="json")
        assert (response.status_code, response.data["code"]) == (403, "not_your_draft")
        assert client.delete(detail(invoice.pk)).status_code == 403
        invoice.refresh_from_db()
        assert invoice.notes == ""
    assert Invoice.objects.count() == 2


def test_billing_edits_anyones_draft(as_user, clinic):
    draft = draft_invoice(clinic, actor=clinic.staff[Role.RECEPTIONIST])
    response = as_user(clinic.staff[Role.BILLING]).patch(detail(draft.pk), {"notes": "checked"}, format="json")
    assert response.status_code == 200, response.data


def test_an_invoice_links_its_appointment_of_the_same_clinic_and_patient(as_user, clinic):
    appointment = appointment_for(clinic)
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        LIST, body(clinic, appointment.patient, appointment_id=str(appointment.pk)), format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["appointment_id"] == str(appointment.pk)
    invoice = Invoice.objects.get()
    assert (invoice.appointment_id, invoice.legacy_appointment_id) == (appointment.pk, appointment.pk)


@pytest.mark.parametrize("whose", ["other_clinic", "missing", "other_patient"])
def test_a_foreign_or_missing_appointment_is_400_on_create_and_patch_and_writes_nothing(
    as_user, clinic, other_clinic, whose
):
    patient = PatientFactory(clinic=clinic)
    appointment_id = {
        "other_clinic": lambda: appointment_for(other_clinic).pk,
        "missing": lambda: "0190c0de-0000-7000-8000-000000000000",
        "other_patient": lambda: appointment_for(clinic).pk,
    }[whose]()
    client = as_user(clinic.staff[Role.BILLING])
    response = client.post(LIST, body(clinic, patient, appointment_id=str(appointment_id)), format="json")
    assert response.status_code == 400, response.data
    assert list(response.data["fields"]) == ["appointment_id"]
    assert not Invoice.objects.exists()
    draft = draft_invoice(clinic, patient=patient)
    response = client.patch(detail(draft.pk), {"appointment_id": str(appointment_id), "notes": "x"}, format="json")
    assert response.status_code == 400, response.data
    draft.refresh_from_db()
    assert (draft.appointment_id, draft.legacy_appointment_id, draft.notes) == (None, None, "")


def test_one_live_invoice_per_appointment_and_a_new_one_after_void(as_user, clinic):
    appointment = appointment_for(clinic)
    first = issued_invoice(clinic, patient=appointment.patient, appointment_id=appointment.pk)
    client = as_user(clinic.staff[Role.BILLING])
    data = body(clinic, appointment.patient, appointment_id=str(appointment.pk))
    response = client.post(LIST, data, format="json")
    assert (response.status_code, response.data["code"]) == (409, "appointment_has_invoice")
    assert response.data["invoice"] == str(first.pk)
    other = draft_invoice(clinic, patient=appointment.patient)
    response = client.patch(detail(other.pk), {"appointment_id": str(appointment.pk)}, format="json")
    assert (response.status_code, response.data["code"]) == (409, "appointment_has_invoice")
    assert Invoice.objects.filter(appointment=appointment).count() == 1
    invoice_void(actor=clinic.staff[Role.BILLING], invoice=first, reason="wrong lines")
    assert client.post(LIST, data, format="json").status_code == 201
    assert Invoice.objects.filter(appointment=appointment).count() == 2


def test_patch_can_unlink_the_appointment(as_user, clinic):
    appointment = appointment_for(clinic)
    draft = draft_invoice(clinic, patient=appointment.patient, appointment_id=appointment.pk)
    response = as_user(clinic.staff[Role.BILLING]).patch(detail(draft.pk), {"appointment_id": None}, format="json")
    assert (response.status_code, response.data["appointment_id"]) == (200, None)
