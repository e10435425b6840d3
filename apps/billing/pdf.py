"""An invoice as a PDF (fpdf2, pure Python): clinic header, patient, lines, taxes, totals, payments.

Names may be in any script, so the text font is a Unicode TrueType font
(DejaVu Sans by default, Debian's fonts-dejavu-core; ``INVOICE_PDF_FONT`` and
``INVOICE_PDF_FONT_BOLD`` point elsewhere). Characters the font has no glyph
for are drawn as "?" rather than left to fpdf2, which would log them: they
may be a patient's name. Without the font file, the built-in Helvetica is
used and anything outside Latin-1 becomes "?".
"""

import logging
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import CoreFont, TTFFont

from apps.billing.locale_format import ClinicFormat
from apps.billing.models import Invoice, InvoiceStatus
from apps.billing.money import format_money, minor_units, plain_decimal
from apps.clinics.models import Clinic

logger = logging.getLogger("clinicops.billing")

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEFAULT_FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
LATIN_1 = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))
TITLES = {
    InvoiceStatus.DRAFT: "Draft invoice",
    InvoiceStatus.ISSUED: "Invoice",
    InvoiceStatus.PAID: "Invoice (paid)",
    InvoiceStatus.VOID: "VOID invoice",
}


def _glyphs(font: CoreFont | TTFFont) -> frozenset[int]:
    assert isinstance(font, TTFFont)
    return frozenset(font.cmap)


class InvoicePdf(FPDF):
    """A page setup with the configured font and a "?" for every character it cannot draw."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)
        regular = getattr(settings, "INVOICE_PDF_FONT", DEFAULT_FONT)
        bold = getattr(settings, "INVOICE_PDF_FONT_BOLD", DEFAULT_FONT_BOLD)
        if Path(regular).is_file() and Path(bold).is_file():
            self.add_font("body", "", regular)
            self.add_font("body", "B", bold)
            self.body_font = "body"
            self.glyphs = _glyphs(self.fonts["body"]) & _glyphs(self.fonts["bodyB"])
        else:
            logger.warning("invoice PDF font not found, using Helvetica (Latin-1 only)", extra={"font": regular})
            self.body_font = "helvetica"
            self.glyphs = LATIN_1

    def safe(self, text: str) -> str:
        return "".join(ch if ord(ch) in self.glyphs else "?" for ch in text)

    def write_line(self, text: str, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        self.set_font(self.body_font, "B" if bold else "", size)
        self.cell(0, height, self.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def clinic_header(pdf: InvoicePdf, clinic: Clinic) -> None:
    """The sender: legal name (the trading name under it if different), address, contact, tax number."""
    pdf.write_line(clinic.legal_name or clinic.name, size=16, bold=True, height=8)
    parts = [clinic.name] if clinic.legal_name and clinic.legal_name != clinic.name else []
    parts += [*clinic.address.splitlines(), clinic.phone, clinic.email]
    if clinic.tax_number:
        parts.append(f"Tax number: {clinic.tax_number}")
    for part in parts:
        if part.strip():  # the clinic's own details, never a patient's
            pdf.write_line(part.strip(), size=9, height=4.5)
    pdf.ln(6)


def _patient_lines(invoice: Invoice) -> list[str]:
    patient = invoice.patient
    place = " ".join(part for part in (patient.postal_code, patient.city) if part)
    lines = [f"{patient.given_name} {patient.family_name}", f"MRN {patient.mrn}"]
    return lines + [part for part in (patient.address_line, place, patient.country) if part]


def invoice_pdf(invoice: Invoice) -> bytes:
    """Render an invoice loaded by selectors.invoice_for_document (lines, payments and refunds prefetched)."""
    clinic = invoice.clinic
    zone = ZoneInfo(clinic.time_zone)
    currency = invoice.currency

    fmt = ClinicFormat(clinic.locale)

    def money(value: Decimal) -> str:
        return format_money(value, currency)

    pdf = InvoicePdf()
    pdf.set_title(pdf.safe(f"Invoice {invoice.number or 'draft'}"))
    pdf.set_author(pdf.safe(clinic.name))
    pdf.add_page()

    clinic_header(pdf, clinic)

    pdf.write_line(f"{TITLES[InvoiceStatus(invoice.status)]} {invoice.number}".strip(), size=14, bold=True, height=8)
    facts = [
        ("Issue date", fmt.day(invoice.issue_date, "not issued")),
        ("Due date", fmt.day(invoice.due_date)),
        ("Currency", currency),
    ]
    if invoice.replaces_id:
        facts.append(("Replaces", invoice.replaces.number if invoice.replaces else str(invoice.replaces_id)))
    for label, value in facts:
        pdf.write_line(f"{label}: {value}", size=9, height=4.5)
    if invoice.status == InvoiceStatus.VOID:
        pdf.write_line(f"Void: {invoice.void_reason}", size=9, bold=True, height=4.5)
    pdf.ln(4)

    pdf.write_line("Bill to", size=10, bold=True)
    for part in _patient_lines(invoice):
        pdf.write_line(part, size=10, height=5)
    pdf.ln(4)

    lines = list(invoice.lines.all())
    pdf.set_font(pdf.body_font, "", 9)
    with pdf.table(
        col_widths=(8, 62, 16, 22, 14, 22, 18, 22),
        text_align=("RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5.5,
        first_row_as_headings=True,
    ) as table:
        table.row(["#", "Description", "Qty", "Unit price", "Tax %", "Net", "Tax", "Total"])
        for line in lines:
            table.row(
                [
                    str(line.position),
                    pdf.safe(line.description),
                    plain_decimal(line.quantity),
                    plain_decimal(line.unit_price, minor_units(currency)),
                    plain_decimal(line.tax_rate),
                    money(line.net_amount),
                    money(line.tax_amount),
                    money(line.total_amount),
                ]
            )
    pdf.ln(4)

    by_rate: dict[Decimal, list[Decimal]] = defaultdict(lambda: [Decimal("0"), Decimal("0")])
    for line in lines:
        by_rate[line.tax_rate][0] += line.net_amount
        by_rate[line.tax_rate][1] += line.tax_amount
    for rate, (net, tax) in sorted(by_rate.items()):
        pdf.write_line(f"Tax {plain_decimal(rate)}% on {money(net)}: {fmt.money(tax, currency)}", size=9, height=4.5)
    pdf.ln(2)
    pdf.write_line(f"Subtotal: {fmt.money(invoice.subtotal, currency)}", size=10)
    pdf.write_line(f"Tax: {fmt.money(invoice.tax_total, currency)}", size=10)
    pdf.write_line(f"Total: {fmt.money(invoice.total, currency)}", size=12, bold=True, height=7)

    payments = list(invoice.payments.all())
    if payments:
        pdf.ln(3)
        pdf.write_line("Payments", size=10, bold=True)
        for payment in payments:
            received = fmt.day(payment.received_at.astimezone(zone).date())
            reference = f" ({payment.reference})" if payment.reference else ""
            pdf.write_line(
                f"{received}  {payment.get_method_display()}{reference}: {fmt.money(payment.amount, currency)}", size=9
            )
            for refund in payment.refunds.all():
                refunded = fmt.day(refund.refunded_at.astimezone(zone).date())
                pdf.write_line(f"{refunded}  Refund: -{fmt.money(refund.amount, currency)}", size=9)
    if invoice.credited_amount:
        pdf.write_line(f"Credited (credit notes): -{fmt.money(invoice.credited_amount, currency)}", size=10)
    pdf.write_line(f"Paid: {fmt.money(invoice.paid_amount, currency)}", size=10)
    pdf.write_line(f"Balance due: {fmt.money(invoice.balance, currency)}", size=11, bold=True, height=6)

    if invoice.notes:
        pdf.ln(3)
        pdf.set_font(pdf.body_font, "", 9)
        pdf.multi_cell(0, 4.5, pdf.safe(invoice.notes))
    return bytes(pdf.output())
