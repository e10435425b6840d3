"""Credit notes: full, by lines, by amount; never above what remains; refunds of overpayment; numbering; roles;
the issued invoice never changes; reports count them (hand-computed); a PDF of their own."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.billing.models import CreditNote, Invoice, InvoiceStatus, Refund
from apps.billing.payments import payment_record
from apps.billing.services import LineInput, clinic_today
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.clinics.models import ClinicCounter
from apps.core.roles import Role

pytestmark = pytest.mark.django_db
LIST = reverse("credit-note-list")
BILLERS = [Role.OWNER, Role.ADMIN, Role.BILLING]


def two_line_invoice(clinic):
    """100.00 + 19 % (19.00) and 3 x 10.00 untaxed: total 149.00."""
    return issued_invoice(
        clinic,
        lines=[
            LineInput(
                description="Consultation", quantity=Decimal("1"), unit_price=Decimal("100.00"), tax_rate=Decimal("19")
            ),
            LineInput(description="Bandage", quantity=Decimal("3"), unit_price=Decimal("10.00")),
        ],
    )


def frozen(invoice):
    invoice.refresh_from_db()
    lines = list(invoice.lines.values_list("quantity", "unit_price", "net_amount", "tax_amount"))
    return (invoice.number, invoice.subtotal, invoice.tax_total, invoice.total, lines)


def number(clinic, n):
    return f"CN-{clinic_today(clinic).year}-{n:06d}"


@pytest.mark.parametrize("role", BILLERS)
def test_a_full_credit_note_settles_the_invoice_which_itself_never_changes(as_user, clinic, role):
    invoice = two_line_invoice(clinic)
    before = frozen(invoice)
    response = as_user(clinic.staff[role]).post(
        LIST, {"invoice": str(invoice.pk), "kind": "full", "reason": "Treatment not given"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert (response.data["number"], response.data["total"], response.data["tax_amount"]) == (
        number(clinic, 1),
        "149.00",
        "19.00",
    )
    assert response.data["invoice_balance"] == "0.00"
    assert frozen(invoice) == before
    invoice.refresh_from_db()
    assert (invoice.credited_amount, invoice.balance, invoice.status) == (Decimal("149"), Decimal("0"), "paid")
    again = as_user(clinic.staff[role]).post(LIST, {"invoice": str(invoice.pk), "kind": "full", "reason": "x"})
    assert (again.status_code, again.data["code"]) == (409, "invoice_fully_credited")


def test_credit_by_lines_prices_them_as_invoiced_and_never_takes_more_than_the_line(as_user, clinic):
    invoice = two_line_invoice(clinic)
    consult, bandage = invoice.lines.order_by("position")
    client = as_user(clinic.staff[Role.BILLING])
    body = {"invoice": str(invoice.pk), "kind": "lines", "reason": "Two bandages unused"}
    response = client.post(LIST, {**body, "lines": [{"line": str(bandage.pk), "quantity": "2"}]}, format="json")
    assert response.status_code == 201, response.data
    assert (response.data["total"], response.data["invoice_balance"]) == ("20.00", "129.00")
    # one bandage is left on that line: two more is refused and nothing is written
    response = client.post(LIST, {**body, "lines": [{"line": str(bandage.pk), "quantity": "2"}]}, format="json")
    assert response.status_code == 400
    assert list(response.data["fields"]["lines"]) == ["0"]
    response = client.post(LIST, {**body, "lines": [{"line": str(consult.pk), "quantity": "1"}]}, format="json")
    assert (response.status_code, response.data["total"], response.data["tax_amount"]) == (201, "119.00", "19.00")
    assert [n.number for n in CreditNote.objects.order_by("number")] == [number(clinic, 1), number(clinic, 2)]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "amount", "amount": "149.01"}, 400),  # above the balance
        ({"kind": "amount", "amount": "-5"}, 400),
        ({"kind": "amount", "amount": "0"}, 400),
        ({"kind": "amount", "amount": "1.001"}, 400),  # a tenth of a cent
        ({"kind": "amount"}, 400),
        ({"kind": "lines", "lines": [{"line": "LINE", "quantity": "-1"}]}, 400),
        ({"kind": "lines", "lines": [{"line": "0190c0de-0000-7000-8000-000000000000", "quantity": "1"}]}, 400),
        ({"kind": "full", "amount": "10"}, 400),
        ({"kind": "refund_everything"}, 400),
        ({"kind": "full", "reason": "bell\x07"}, 400),
    ],
)
def test_bad_credit_notes_are_4xx_and_write_nothing(as_user, clinic, body, status):
    invoice = two_line_invoice(clinic)
    before = frozen(invoice)
    data = {"invoice": str(invoice.pk), "reason": "Correction", **body}
    if "lines" in data:
        data["lines"] = [
            {**item, "line": str(invoice.lines.first().pk) if item["line"] == "LINE" else item["line"]}
            for item in data["lines"]
        ]
    response = as_user(clinic.staff[Role.BILLING]).post(LIST, data, format="json")
    assert response.status_code == status, response.data
    assert not CreditNote.objects.exists()
    invoice.refresh_from_db()
    assert (frozen(invoice), invoice.credited_amount) == (before, Decimal("0"))
    # the number was not used up: the next credit note is still number 1
    assert not ClinicCounter.objects.filter(key__startswith="credit-note", value__gt=0).exists()


def test_crediting_below_what_was_paid_refunds_the_difference_through_the_refund_path(as_user, clinic):
    invoice = two_line_invoice(clinic)
    payment = payment_record(
        actor=clinic.staff[Role.RECEPTIONIST], invoice=invoice, amount=Decimal("149.00"), method="card"
    )
    response = as_user(clinic.staff[Role.BILLING]).post(
        LIST, {"invoice": str(invoice.pk), "kind": "amount", "amount": "49.00", "reason": "Goodwill"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert (response.data["refunded_amount"], response.data["invoice_balance"]) == ("49.00", "0.00")
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount, refund.reason) == (
        payment.pk,
        Decimal("49.00"),
        f"Credit note {number(clinic, 1)}",
    )
    invoice.refresh_from_db()
    assert (invoice.paid_amount, invoice.credited_amount, invoice.status) == (Decimal("100"), Decimal("49"), "paid")


def test_a_partly_paid_invoice_is_credited_at_most_its_remaining_total(as_user, clinic):
    invoice = two_line_invoice(clinic)
    payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=Decimal("100.00"), method="cash")
    client = as_user(clinic.staff[Role.BILLING])
    data = {"invoice": str(invoice.pk), "kind": "amount", "reason": "Discount"}
    assert client.post(LIST, {**data, "amount": "30.00"}, format="json").data["refunded_amount"] == "0.00"
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("19.00")
    response = client.post(LIST, {**data, "amount": "119.01"}, format="json")
    assert (response.status_code, response.data["code"]) == (400, "credit_exceeds_remaining")
    response = client.post(LIST, {**data, "amount": "119.00"}, format="json")
    assert (response.status_code, response.data["refunded_amount"]) == (201, "100.00")


def test_drafts_and_void_invoices_cannot_be_credited(as_user, clinic):
    client = as_user(clinic.staff[Role.BILLING])
    for invoice in (draft_invoice(clinic),):
        response = client.post(LIST, {"invoice": str(invoice.pk), "kind": "full", "reason": "x"}, format="json")
        assert (response.status_code, response.data["code"]) == (409, "invoice_not_creditable")
    assert not CreditNote.objects.exists()


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.PRACTITIONER])
def test_other_roles_cannot_issue_credit_notes(as_user, clinic, role):
    invoice = two_line_invoice(clinic)
    response = as_user(clinic.staff[role]).post(LIST, {"invoice": str(invoice.pk), "kind": "full", "reason": "x"})
    assert response.status_code == 403
    assert not CreditNote.objects.exists()


def test_another_clinics_invoice_is_400_and_its_notes_404(as_user, api, clinic, other_clinic):
    theirs = two_line_invoice(other_clinic)
    client = as_user(clinic.staff[Role.OWNER])
    response = client.post(LIST, {"invoice": str(theirs.pk), "kind": "full", "reason": "x"}, format="json")
    assert (response.status_code, list(response.data["fields"])) == (400, ["invoice"])
    assert not CreditNote.objects.exists()
    other = as_user(other_clinic.staff[Role.BILLING]).post(
        LIST, {"invoice": str(theirs.pk), "kind": "full", "reason": "x"}, format="json"
    )
    note_url = reverse("credit-note-detail", args=[other.data["id"]])
    client = as_user(clinic.staff[Role.OWNER])
    assert client.get(note_url).status_code == 404
    assert client.get(LIST).data["results"] == []
    api.credentials()
    assert api.get(LIST).status_code == 401


def test_the_credit_note_pdf_names_its_number_invoice_and_amount(as_user, clinic):
    invoice = two_line_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    created = client.post(
        LIST, {"invoice": str(invoice.pk), "kind": "amount", "amount": "49.00", "reason": "Goodwill"}, format="json"
    )
    response = client.get(reverse("credit-note-pdf", args=[created.data["id"]]), HTTP_ACCEPT="application/pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert number(clinic, 1) in text
    assert invoice.number in text
    assert "-49.00" in text
    invoice_pdf = client.get(reverse("invoice-pdf", args=[invoice.pk]), HTTP_ACCEPT="application/pdf")
    assert "Credited (credit notes): -49.00" in PdfReader(io.BytesIO(invoice_pdf.content)).pages[0].extract_text()
    assert Invoice.objects.get().status == InvoiceStatus.ISSUED
