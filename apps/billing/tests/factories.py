import io
from decimal import Decimal

import factory
from pypdf import PdfReader

from apps.billing.models import CatalogItem
from apps.billing.services import LineInput, invoice_create, invoice_issue
from apps.clinics.tests.factories import ClinicFactory
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory


class CatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogItem

    clinic = factory.SubFactory(ClinicFactory)
    code = factory.Sequence(lambda n: f"SVC-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    price = Decimal("80.00")
    tax_rate = Decimal("0")


def draft_invoice(clinic, *, lines=None, patient=None, actor=None, **kwargs):
    """A draft through the service (so totals are computed as in production); one 100.00 line by default."""
    if lines is None:
        lines = [LineInput(description="Consultation", quantity=Decimal("1"), unit_price=Decimal("100.00"))]
    return invoice_create(
        actor=actor or clinic.staff[Role.BILLING],
        clinic=clinic,
        patient_id=(patient or PatientFactory(clinic=clinic)).pk,
        lines=lines,
        **kwargs,
    )


def issued_invoice(clinic, **kwargs):
    due_date = kwargs.pop("due_date", None)
    invoice = draft_invoice(clinic, **kwargs)
    return invoice_issue(actor=clinic.staff[Role.BILLING], invoice=invoice, due_date=due_date)


def pdf_text(response):
    """The text of a PDF response, as a reader's copy and paste would get it (pypdf)."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(response):
    """The base names of the fonts a PDF response embeds."""
    reader = PdfReader(io.BytesIO(response.content))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names
