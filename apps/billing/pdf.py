"""An invoice as a PDF (fpdf2, pure Python): clinic header, patient, lines, taxes, totals, payments.

Labels are in the clinic's language (``Clinic.locale`` through Django's
gettext, catalogs under locale/), amounts and dates in its formats (Babel,
apps/billing/locale_format.py). The page setup, fonts and the clinic and
patient blocks shared with credit notes are in apps/billing/pdf_page.py.
"""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.billing.locale_format import ClinicFormat
from apps.billing.models import Invoice, InvoiceStatus
from apps.billing.money import format_money, minor_units, plain_decimal
from apps.billing.pdf_page import InvoicePdf, clinic_header, document_language, labelled, patient_block


def _title(status: str) -> str:
    return {
        InvoiceStatus.DRAFT: _("Draft invoice"),
        InvoiceStatus.ISSUED: _("Invoice"),
        InvoiceStatus.PAID: _("Invoice (paid)"),
        InvoiceStatus.VOID: _("VOID invoice"),
    }[InvoiceStatus(status)]


def invoice_pdf(invoice: Invoice) -> bytes:
    """Render an invoice loaded by selectors.invoice_for_document (lines, payments and refunds prefetched)."""
    with document_language(invoice.clinic):
        return _render(invoice)


def _render(invoice: Invoice) -> bytes:
    clinic = invoice.clinic
    zone = ZoneInfo(clinic.time_zone)
    currency = invoice.currency
    fmt = ClinicFormat(clinic.locale)

    def money(value: Decimal) -> str:
        return format_money(value, currency)

    def total(value: Decimal) -> str:
        return fmt.money(value, currency)

    pdf = InvoicePdf()
    pdf.set_title(pdf.safe(_("Invoice %(number)s") % {"number": invoice.number or _("draft")}))
    pdf.set_author(pdf.safe(clinic.name))
    pdf.add_page()
    clinic_header(pdf, clinic)

    pdf.write_line(f"{_title(invoice.status)} {invoice.number}".strip(), size=14, bold=True, height=8)
    facts = [
        (_("Issue date"), fmt.day(invoice.issue_date, _("not issued"))),
        (_("Due date"), fmt.day(invoice.due_date)),
        (_("Currency"), currency),
    ]
    if invoice.replaces_id:
        facts.append((_("Replaces"), invoice.replaces.number if invoice.replaces else str(invoice.replaces_id)))
    for label, value in facts:
        pdf.write_line(labelled(label, value), size=9, height=4.5)
    if invoice.status == InvoiceStatus.VOID:
        pdf.write_line(labelled(_("Void"), invoice.void_reason), size=9, bold=True, height=4.5)
    pdf.ln(4)
    patient_block(pdf, _("Bill to"), invoice.patient)

    lines = list(invoice.lines.all())
    pdf.set_font(pdf.body_font, "", 9)
    with pdf.table(
        col_widths=(8, 54, 14, 26, 18, 22, 18, 22),  # room for the German headings
        text_align=("RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5.5,
        first_row_as_headings=True,
    ) as table:
        table.row(
            [
                pdf.safe(heading)
                for heading in (
                    "#",
                    _("Description"),
                    _("Qty"),
                    _("Unit price"),
                    _("Tax %"),
                    pgettext("amount before tax", "Net"),
                    pgettext("amount of tax", "Tax"),
                    _("Total"),
                )
            ]
        )
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
        text = _("Tax %(rate)s%% on %(net)s: %(tax)s") % {
            "rate": plain_decimal(rate),
            "net": money(net),
            "tax": total(tax),
        }
        pdf.write_line(text, size=9, height=4.5)
    pdf.ln(2)
    pdf.write_line(labelled(_("Subtotal"), total(invoice.subtotal)), size=10)
    pdf.write_line(labelled(pgettext("amount of tax", "Tax"), total(invoice.tax_total)), size=10)
    pdf.write_line(labelled(_("Total"), total(invoice.total)), size=12, bold=True, height=7)

    payments = list(invoice.payments.all())
    if payments:
        pdf.ln(3)
        pdf.write_line(_("Payments"), size=10, bold=True)
        for payment in payments:
            received = fmt.day(payment.received_at.astimezone(zone).date())
            reference = f" ({payment.reference})" if payment.reference else ""
            pdf.write_line(f"{received}  {payment.get_method_display()}{reference}: {total(payment.amount)}", size=9)
            for refund in payment.refunds.all():
                refunded = fmt.day(refund.refunded_at.astimezone(zone).date())
                pdf.write_line(f"{refunded}  " + labelled(_("Refund"), f"-{total(refund.amount)}"), size=9)
    if invoice.credited_amount:
        pdf.write_line(labelled(_("Credited (credit notes)"), f"-{total(invoice.credited_amount)}"), size=10)
    pdf.write_line(labelled(_("Paid"), total(invoice.paid_amount)), size=10)
    pdf.write_line(labelled(_("Balance due"), total(invoice.balance)), size=11, bold=True, height=6)

    if invoice.notes:
        pdf.ln(3)
        pdf.set_font(pdf.body_font, "", 9)
        pdf.multi_cell(0, 4.5, pdf.safe(invoice.notes))
    return bytes(pdf.output())
