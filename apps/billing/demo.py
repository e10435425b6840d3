"""Demo billing data for `make run`: a service catalog per clinic and a few invoices in every state."""

from datetime import timedelta
from decimal import Decimal

from apps.accounts.models import User
from apps.billing.models import CatalogItem, Invoice
from apps.billing.overdue import invoices_mark_overdue
from apps.billing.payments import payment_record, refund_record
from apps.billing.services import LineInput, invoice_create, invoice_issue, invoice_void
from apps.clinics.models import Clinic
from apps.patients.models import Patient

# code, name, price, tax rate in percent where the clinic charges VAT (medical care itself is exempt)
CATALOG = [
    ("CONS", "General consultation", "80.00", "0"),
    ("CONS-EXT", "Extended consultation (30 min)", "140.00", "0"),
    ("VACC-FLU", "Influenza vaccination", "35.00", "0"),
    ("LAB-CBC", "Complete blood count", "25.50", "0"),
    ("ECG", "Resting ECG", "45.00", "0"),
    ("CERT", "Medical certificate", "20.00", "19"),
    ("TRAVEL", "Travel medicine advice", "60.00", "19"),
    ("SUPPLY", "Dressing material (per pack)", "4.9900", "7"),
]


# What each demo clinic's invoices carry as sender (fictitious registrations).
LEGAL_DETAILS = {
    "riverside": {
        "legal_name": "Riverside Family Clinic MVZ GmbH",
        "address": "Hauptstraße 5\n10827 Berlin\nGermany",
        "tax_number": "DE 123456789",
        "locale": "de-DE",
    },
    "harbor": {
        "legal_name": "Harbor Street Medical PLLC",
        "address": "120 Harbor Street\nNew York, NY 10004\nUSA",
        "tax_number": "EIN 12-3456789",
        "locale": "en-US",
    },
}


def demo_billing(clinic: Clinic, *, actor: User) -> int:
    """Catalog and six invoices for a clinic that has no catalog yet; returns how many invoices were made."""
    details = LEGAL_DETAILS.get(clinic.slug)
    if details and not clinic.legal_name:
        for name, value in details.items():
            setattr(clinic, name, value)
        clinic.save(update_fields=[*details, "updated_at"])
    if CatalogItem.objects.filter(clinic=clinic).exists():
        return 0
    vat = clinic.country == "DE"
    services = {
        code: CatalogItem.objects.create(
            clinic=clinic, code=code, name=name, price=Decimal(price), tax_rate=Decimal(rate if vat else "0")
        )
        for code, name, price, rate in CATALOG
    }
    patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn")[:6])
    if len(patients) < 6:
        return 0

    def lines(*items: tuple[str, str]) -> list[LineInput]:
        return [LineInput(service_id=services[code].pk, quantity=Decimal(quantity)) for code, quantity in items]

    def invoice(patient: Patient, *items: tuple[str, str]) -> Invoice:
        return invoice_create(actor=actor, clinic=clinic, patient_id=patient.pk, lines=lines(*items))

    invoice(patients[0], ("CONS", "1"), ("LAB-CBC", "1"))  # a draft
    issued = invoice_issue(actor=actor, invoice=invoice(patients[1], ("CONS-EXT", "1"), ("ECG", "1")))
    partly = invoice_issue(actor=actor, invoice=invoice(patients[2], ("CONS", "1"), ("CERT", "1"), ("SUPPLY", "3")))
    payment_record(actor=actor, invoice=partly, amount=Decimal("50.00"), method="card")
    paid = invoice_issue(actor=actor, invoice=invoice(patients[3], ("VACC-FLU", "2"), ("TRAVEL", "1")))
    payment = payment_record(actor=actor, invoice=paid, amount=paid.total, method="cash")
    refund_record(actor=actor, payment=payment, amount=Decimal("10.00"), reason="Goodwill: waiting time")
    payment_record(actor=actor, invoice=paid, amount=Decimal("10.00"), method="card")
    void = invoice_issue(actor=actor, invoice=invoice(patients[4], ("CONS", "1")))
    invoice_void(actor=actor, invoice=void, reason="Billed to the wrong patient")
    old = invoice_issue(actor=actor, invoice=invoice(patients[5], ("CONS", "1"), ("VACC-FLU", "1")))
    # Age two invoices so the aging report and the overdue flag have something to show.
    for aged, days in ((old, 75), (issued, 35)):
        assert aged.issue_date is not None
        issue_date = aged.issue_date - timedelta(days=days)
        Invoice.objects.filter(pk=aged.pk).update(issue_date=issue_date, due_date=issue_date + timedelta(days=14))
    invoices_mark_overdue()
    return 6


def demo_step() -> list[tuple[str, str]]:
    """The demo step (apps.core.demo): billing data for each demo clinic, made by its billing member."""
    from apps.clinics.demo import demo_clinics, demo_staff
    from apps.core.roles import Role

    for clinic in demo_clinics():
        demo_billing(clinic, actor=demo_staff(clinic, Role.BILLING))
    return []
