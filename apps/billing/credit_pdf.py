"""A credit note as a PDF: the clinic, the patient, the invoice it corrects, what it credits, and any refund."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.billing.credit_models import CreditNote, CreditNoteKind
from apps.billing.locale_format import ClinicFormat
from apps.billing.money import format_money, plain_decimal
from apps.billing.pdf_page import InvoicePdf, clinic_header, document_language, labelled, patient_block


def credit_note_pdf(note: CreditNote) -> bytes:
    """Render a credit note (``invoice__patient`` and ``clinic`` selected), labelled in the clinic's language."""
    with document_language(note.clinic):
        return _render(note)


def _render(note: CreditNote) -> bytes:
    clinic, invoice, currency = note.clinic, note.invoice, note.currency
    fmt = ClinicFormat(clinic.locale)

    def money(value: Decimal) -> str:
        return format_money(value, currency)

    def total(value: Decimal) -> str:
        return fmt.money(value, currency)

    pdf = InvoicePdf()
    title = _("Credit note %(number)s") % {"number": note.number}
    pdf.set_title(pdf.safe(title))
    pdf.set_author(pdf.safe(clinic.name))
    pdf.add_page()
    clinic_header(pdf, clinic)
    pdf.write_line(title, size=14, bold=True, height=8)
    corrects = _("%(number)s of %(date)s") % {"number": invoice.number, "date": fmt.day(invoice.issue_date)}
    for label, value in (
        (_("Issue date"), fmt.day(note.issue_date)),
        (_("Corrects invoice"), corrects),
        (_("Currency"), currency),
        (_("Reason"), note.reason),
    ):
        pdf.write_line(labelled(label, value), size=9, height=4.5)
    pdf.ln(4)
    patient_block(pdf, _("Credit to"), invoice.patient)
    if note.kind == CreditNoteKind.LINES:
        pdf.set_font(pdf.body_font, "", 9)
        with pdf.table(
            col_widths=(70, 20, 25, 25, 25),
            text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            line_height=5.5,
            first_row_as_headings=True,
        ) as table:
            headings = (
                _("Description"),
                _("Qty"),
                pgettext("amount before tax", "Net"),
                pgettext("amount of tax", "Tax"),
                _("Total"),
            )
            table.row([pdf.safe(heading) for heading in headings])
            for row in note.lines.select_related("invoice_line"):
                table.row(
                    [
                        pdf.safe(row.invoice_line.description),
                        plain_decimal(row.quantity),
                        money(-row.net_amount),
                        money(-row.tax_amount),
                        money(-(row.net_amount + row.tax_amount)),
                    ]
                )
        pdf.ln(4)
    else:
        what = _("Everything that remained of the invoice") if note.kind == CreditNoteKind.FULL else _("An amount")
        pdf.write_line(what, size=10)
    pdf.write_line(labelled(pgettext("amount before tax", "Net"), f"-{total(note.net_amount)}"), size=10)
    pdf.write_line(labelled(pgettext("amount of tax", "Tax"), f"-{total(note.tax_amount)}"), size=10)
    pdf.write_line(labelled(_("Credited"), f"-{total(note.total)}"), size=12, bold=True, height=7)
    if note.refunded_amount:
        pdf.write_line(labelled(_("Refunded to the patient"), total(note.refunded_amount)), size=10)
    pdf.write_line(labelled(_("Invoice balance now"), total(invoice.balance)), size=11, bold=True, height=6)
    return bytes(pdf.output())
