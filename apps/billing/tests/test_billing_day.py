"""A receptionist's whole billing day, through the API, start to finish."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.billing.models import Invoice, InvoiceStatus, Payment
from apps.billing.tests.factories import CatalogItemFactory
from apps.core.roles import Role
from apps.visits.tests.factories import appointment_of

pytestmark = pytest.mark.django_db


def test_a_receptionists_billing_day(as_user, api, clinic):
    consult = CatalogItemFactory(clinic=clinic, code="CONS", name="Consultation", price=Decimal("87.23"), tax_rate=19)
    swab = CatalogItemFactory(clinic=clinic, code="SWAB", name="Swab", price=Decimal("12.00"), tax_rate=0)
    morning, noon, late = appointment_of(clinic), appointment_of(clinic), appointment_of(clinic)
    desk = as_user(clinic.staff[Role.RECEPTIONIST])
    invoices = reverse("invoice-list")

    # 08:30 the first patient pays at the desk: the invoice is created with its line, linked to the appointment
    created = desk.post(
        invoices,
        {
            "clinic": str(clinic.pk),
            "patient": str(morning.patient_id),
            "appointment_id": str(morning.pk),
            "lines": [{"service": str(consult.pk), "quantity": "1"}],
        },
        format="json",
    )
    assert (created.status_code, created.data["total"], created.data["balance"]) == (201, "103.80", "103.80")
    first = created.data["id"]
    # a swab was forgotten: the receptionist corrects their own draft
    fixed = desk.patch(
        reverse("invoice-detail", args=[first]),
        {"lines": [{"service": str(consult.pk), "quantity": "1"}, {"service": str(swab.pk), "quantity": "1"}]},
        format="json",
    )
    assert (fixed.status_code, fixed.data["total"]) == (200, "115.80")
    issued = desk.post(reverse("invoice-issue", args=[first]), {}, format="json")
    assert issued.status_code == 200
    assert issued.data["number"]
    key = uuid.uuid4().hex
    paid = desk.post(
        reverse("invoice-payments", args=[first]),
        {"amount": "115.80", "method": "card"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert (paid.status_code, paid.data["invoice_status"]) == (201, "paid")
    # the card terminal retried: the same key replays, no second payment
    replay = desk.post(
        reverse("invoice-payments", args=[first]),
        {"amount": "115.80", "method": "card"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert replay.status_code == 201
    assert Payment.objects.count() == 1

    # 12:00 the practitioner completes a visit: its draft is waiting for the desk
    doctor = as_user(clinic.staff[Role.PRACTITIONER])
    visit = doctor.post(
        reverse("visit-list"),
        {"appointment": str(noon.pk), "note": "Swab taken.", "services": [{"service": str(swab.pk), "quantity": "2"}]},
        format="json",
    )
    assert visit.status_code == 201, visit.data
    assert doctor.post(reverse("visit-sign", args=[visit.data["id"]])).status_code == 200
    completed = doctor.post(reverse("visit-complete", args=[visit.data["id"]]))
    drafted = completed.data["invoice"]
    desk = as_user(clinic.staff[Role.RECEPTIONIST])
    assert (
        desk.get(reverse("visit-detail", args=[visit.data["id"]])).status_code == 404
    )  # no clinical notes at the desk
    listed = desk.get(invoices, {"status": "draft"})
    assert [item["id"] for item in listed.data["results"]] == [drafted]
    assert listed.data["results"][0]["total"] == "24.00"
    assert desk.post(reverse("invoice-issue", args=[drafted]), {}, format="json").status_code == 200
    # the desk may not delete or void someone else's invoice, nor issue credit notes
    assert desk.post(reverse("invoice-void", args=[drafted]), {"reason": "x"}, format="json").status_code == 403
    credit = desk.post(reverse("credit-note-list"), {"invoice": drafted, "kind": "full", "reason": "x"}, format="json")
    assert credit.status_code == 403

    # 17:00 the last patient cancels: the draft made for them goes with the appointment
    late_draft = desk.post(
        invoices,
        {
            "clinic": str(clinic.pk),
            "patient": str(late.patient_id),
            "appointment_id": str(late.pk),
            "lines": [{"service": str(consult.pk), "quantity": "1"}],
        },
        format="json",
    ).data["id"]
    cancelled = desk.post(reverse("appointment-cancel", args=[late.pk]), {"reason": "Patient called"}, format="json")
    assert cancelled.status_code == 200, cancelled.data
    statuses = dict(Invoice.objects.values_list("id", "status"))
    assert {str(k): v for k, v in statuses.items()} == {
        first: InvoiceStatus.PAID,
        drafted: InvoiceStatus.ISSUED,
        late_draft: InvoiceStatus.VOID,
    }
