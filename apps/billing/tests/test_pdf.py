"""The invoice PDF opens, carries the number, totals, taxes, payments and non-Latin names; reads are audited."""

import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.payments import payment_record
from apps.billing.services import LineInput
from apps.billing.tests.factories import draft_invoice, issued_invoice, pdf_text
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
D = Decimal


def full_invoice(clinic):
    clinic.name = "Riverside Family Clinic"
    clinic.address = "Hauptstraße 5\n10115 Berlin"
    clinic.save()
    patient = PatientFactory(clinic=clinic, given_name="Дмитрий", family_name="Παπαδόπουλος-Müller", city="Berlin")
    lines = [
        LineInput(description="Consultation", quantity=D("1"), unit_price=D("80.00"), tax_rate=D("0")),
        LineInput(description="Certificate", quantity=D("1"), unit_price=D("20.00"), tax_rate=D("19")),
        LineInput(description="Dressing", quantity=D("3"), unit_price=D("4.99"), tax_rate=D("7")),
    ]
    invoice = issued_invoice(clinic, patient=patient, lines=lines)  # 80 + 23.80 + 16.02 = 119.82
    payment_record(
        actor=clinic.staff[Role.BILLING], invoice=invoice, amount=D("50.00"), method="card", reference="POS-77"
    )
    return invoice


def test_the_pdf_opens_and_shows_number_total_lines_taxes_and_payments(as_user, clinic):
    role = Role.PRACTITIONER  # one permitted role; tests/test_personas.py covers the others
    invoice = full_invoice(clinic)
    response = as_user(clinic.staff[role]).get(reverse("invoice-pdf", args=[invoice.pk]))
    text = pdf_text(response)
    assert invoice.number in text
    assert "Total: 119.82 EUR" in text
    assert "Riverside Family Clinic" in text
    assert "Hauptstraße 5" in text
    assert "Дмитрий Παπαδόπουλος-Müller" in text
    assert f"MRN {invoice.patient.mrn}" in text
    for expected in ("Consultation", "Certificate", "Dressing", "14.97", "Tax 19% on 20.00: 3.80 EUR"):
        assert expected in text
    assert "Tax 7% on 14.97: 1.05 EUR" in text
    assert "Card (POS-77): 50.00 EUR" in text
    assert "Balance due: 69.82 EUR" in text
    assert f'filename="invoice-{invoice.number}.pdf"' in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="invoice.pdf")
    assert (event.actor, event.resource_id) == (clinic.staff[role], str(invoice.pk))


def test_a_draft_pdf_says_draft(as_user, clinic):
    invoice = draft_invoice(clinic)
    text = pdf_text(as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-pdf", args=[invoice.pk])))
    assert "Draft invoice" in text
    assert "Total: 100.00 EUR" in text


def test_the_pdf_is_served_to_clients_that_ask_for_pdf_only(as_user, clinic):
    invoice = issued_invoice(clinic)
    response = as_user(clinic.staff[Role.BILLING]).get(
        reverse("invoice-pdf", args=[invoice.pk]), HTTP_ACCEPT="application/pdf"
    )
    assert invoice.number in pdf_text(response)


def test_glyphs_no_font_has_become_question_marks_and_are_not_logged(as_user, clinic, caplog):
    patient = PatientFactory(clinic=clinic, given_name="สม", family_name="ชาย")  # Thai: neither DejaVu nor WenQuanYi
    invoice = issued_invoice(clinic, patient=patient)
    with caplog.at_level(logging.DEBUG):
        text = pdf_text(as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-pdf", args=[invoice.pk])))
    assert "?? ???" in text
    assert invoice.number in text
    assert "สม" not in caplog.text
    assert "ชาย" not in caplog.text


def test_without_the_font_file_helvetica_takes_over(as_user, clinic, settings):
    settings.INVOICE_PDF_FONT = "/nonexistent/DejaVuSans.ttf"
    patient = PatientFactory(clinic=clinic, given_name="José", family_name="Дмитрий")
    invoice = issued_invoice(clinic, patient=patient)
    text = pdf_text(as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-pdf", args=[invoice.pk])))
    assert invoice.number in text
    assert "Total: 100.00 EUR" in text
    assert "José ???????" in text


def test_another_clinics_pdf_is_not_audited_as_a_disclosure(as_user, clinic, other_clinic):
    """Its 404 (and anonymous' 401) are in tests/test_personas.py; here: no disclosure is recorded."""
    theirs = issued_invoice(other_clinic)
    assert as_user(clinic.staff[Role.OWNER]).get(reverse("invoice-pdf", args=[theirs.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="invoice.pdf").exists()


def test_a_german_clinics_invoice_carries_its_legal_details_and_local_formats(as_user, clinic):
    clinic.legal_name = "Riverside Family Clinic MVZ GmbH"
    clinic.address = "Hauptstraße 5\n10827 Berlin"
    clinic.tax_number = "DE 123456789"
    clinic.locale = "de-DE"
    clinic.save()
    patient = PatientFactory(
        clinic=clinic,
        given_name="Anna",
        family_name="Schmidt",
        address_line="Lindenweg 3",
        postal_code="10115",
        city="Berlin",
    )
    line = LineInput(
        description="Consultation", quantity=Decimal("1"), unit_price=Decimal("87.23"), tax_rate=Decimal("19")
    )
    invoice = issued_invoice(clinic, lines=[line], patient=patient)
    text = pdf_text(as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-pdf", args=[invoice.pk])))
    for expected in ("Riverside Family Clinic MVZ GmbH", "Hauptstraße 5", "Steuernummer: DE 123456789", "Lindenweg 3"):
        assert expected in text
    assert "Gesamt: 103,80 €" in text
    assert invoice.issue_date.strftime("%d.%m.%Y") in text


def test_a_us_clinic_formats_dollars_the_american_way(as_user, clinic):
    clinic.currency, clinic.locale = "USD", "en-US"
    clinic.save()
    line = LineInput(description="Visit", quantity=Decimal("1"), unit_price=Decimal("103.80"))
    invoice = issued_invoice(clinic, lines=[line])
    text = pdf_text(as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-pdf", args=[invoice.pk])))
    assert "Total: $103.80" in text
