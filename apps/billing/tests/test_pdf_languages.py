"""Invoice and credit-note PDFs speak the clinic's language and draw every script a name may be in.

Labels: Django's gettext with the catalogs under locale/ (English source, German),
whose compiled .mo are committed: the last test fails when one is stale.
Scripts: DejaVu Sans, with WenQuanYi Micro Hei for what it lacks (CJK), loaded only when needed.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse

from apps.billing.payments import payment_record
from apps.billing.services import LineInput
from apps.billing.tests.factories import issued_invoice, pdf_fonts, pdf_text
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
D = Decimal


def german_clinic(clinic, locale="de-DE"):
    clinic.locale, clinic.tax_number = locale, "DE 123456789"
    clinic.save()
    return clinic


def invoice_pdf(as_user, clinic, invoice):
    return as_user(clinic.staff[Role.BILLING]).get(reverse("invoice-pdf", args=[invoice.pk]))


def test_a_german_clinics_invoice_is_labelled_in_german(as_user, clinic):
    german_clinic(clinic)
    line = LineInput(description="Beratung", quantity=D("1"), unit_price=D("87.23"), tax_rate=D("19"))
    invoice = issued_invoice(clinic, lines=[line])
    payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=D("50.00"), method="card")
    text = pdf_text(invoice_pdf(as_user, clinic, invoice))
    for expected in (
        f"Rechnung {invoice.number}",
        "Rechnungsdatum:",
        "Fällig am:",
        "Währung: EUR",
        "Rechnungsempfänger",
        "Patientennr.",
        "Beschreibung",
        "Einzelpreis",
        "MwSt. 19 % auf 87.23: 16,57 €",
        "Zwischensumme: 87,23 €",
        "Gesamt: 103,80 €",
        "Zahlungen",
        "Karte: 50,00 €",
        "Bezahlt: 50,00 €",
        "Offener Betrag: 53,80 €",
        "Steuernummer: DE 123456789",
    ):
        assert expected in text
    for english in ("Bill to", "Issue date", "Balance due", "Total:", "Card", "Tax number"):
        assert english not in text


def test_a_german_clinics_credit_note_is_labelled_in_german(as_user, clinic):
    german_clinic(clinic, locale="de-AT")
    invoice = issued_invoice(clinic)
    client = as_user(clinic.staff[Role.BILLING])
    body = {"invoice": str(invoice.pk), "kind": "amount", "amount": "40.00", "reason": "Kulanz"}
    created = client.post(reverse("credit-note-list"), body, format="json")
    assert created.status_code == 201
    text = pdf_text(client.get(reverse("credit-note-pdf", args=[created.data["id"]])))
    for expected in (
        f"Gutschrift {created.data['number']}",
        f"Korrigiert Rechnung: {invoice.number} vom",
        "Grund: Kulanz",
        "Gutschrift für",
        "Ein Betrag",
        "Gutgeschrieben: -€ 40,00",  # de-AT puts the sign first
        "Offener Rechnungsbetrag jetzt: € 60,00",
    ):
        assert expected in text
    assert "Credit note" not in text
    invoice_text = pdf_text(invoice_pdf(as_user, clinic, invoice))
    assert "Gutgeschrieben (Gutschriften): -€ 40,00" in invoice_text


def test_a_language_without_a_catalog_gets_english_labels_and_its_own_formats(as_user, clinic):
    clinic.locale = "fr-FR"
    clinic.save()
    invoice = issued_invoice(clinic)
    text = pdf_text(invoice_pdf(as_user, clinic, invoice))
    assert "Total: 100,00 €" in text  # French formats (a narrow space groups thousands), English words
    assert "Bill to" in text


def test_the_pdf_text_carries_a_chinese_name(as_user, clinic):
    patient = PatientFactory(clinic=clinic, given_name="伟", family_name="王", city="上海市")
    line = LineInput(description="诊疗费 (consultation)", quantity=D("1"), unit_price=D("80.00"))
    invoice = issued_invoice(clinic, patient=patient, lines=[line])
    response = invoice_pdf(as_user, clinic, invoice)
    text = pdf_text(response)
    assert "伟 王" in text
    assert "上海市" in text
    assert "诊疗费 (consultation)" in text
    assert "?" not in text  # every glyph drawn, none replaced
    assert any("WenQuanYi" in name for name in pdf_fonts(response))


def test_japanese_korean_greek_and_cyrillic_names_render_side_by_side(as_user, clinic):
    patient = PatientFactory(clinic=clinic, given_name="さくら 김민준", family_name="Παπαδόπουλος-Иванов")
    invoice = issued_invoice(clinic, patient=patient)
    text = pdf_text(invoice_pdf(as_user, clinic, invoice))
    assert "さくら 김민준 Παπαδόπουλος-Иванов" in text


def test_the_fallback_font_is_loaded_only_for_a_document_that_needs_it(as_user, clinic):
    response = invoice_pdf(
        as_user, clinic, issued_invoice(clinic, patient=PatientFactory(clinic=clinic, given_name="José"))
    )
    assert "José" in pdf_text(response)
    assert not any("WenQuanYi" in name for name in pdf_fonts(response))


def test_without_the_fallback_font_cjk_becomes_question_marks(as_user, clinic, settings):
    settings.INVOICE_PDF_FALLBACK_FONT = ""
    invoice = issued_invoice(clinic, patient=PatientFactory(clinic=clinic, given_name="伟", family_name="王"))
    assert "? ?" in pdf_text(invoice_pdf(as_user, clinic, invoice))


@pytest.mark.parametrize("language", ["de"])
def test_the_committed_mo_matches_its_po(language):
    """The .mo is what Django reads; `make messages` rebuilds it. A .po edited without it fails here."""
    folder = Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES"
    with open(folder / "django.po", "rb") as po, open(folder / "django.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)

    def translated(catalog):
        # read_mo gives a context as bytes, read_po as str.
        keys = (
            (m, m.context.decode() if isinstance(m.context, bytes) else m.context or "", m.id)
            for m in catalog
            if m.id and any(m.string) and not m.fuzzy
        )
        return {(context + "\x04" + key if context else key): m.string for m, context, key in keys}

    assert translated(source) == translated(compiled)
    assert len(translated(source)) >= 40
