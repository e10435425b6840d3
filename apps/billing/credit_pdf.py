"""A credit note as a PDF: the clinic, the patient, the invoice it corrects, what it credits, and any refund."""

from decimal import Decimal

from apps.billing.credit_models import CreditNote, CreditNoteKind
from apps.billing.locale_format import ClinicFormat
from apps.billing.money import format_money, plain_decimal
from apps.billing.pdf import InvoicePdf, _patient_lines, clinic_header


def credit_note_pdf(note: CreditNote) -> bytes:
    """Render a credit note (``invoice__patient`` and ``clinic`` selected)."""
    clinic, invoice, currency = note.clinic, note.invoice, note.currency

    fmt = ClinicFormat(clinic.locale)

    def money(value: Decimal) -> str:
        return format_money(value, currency)

    pdf = InvoicePdf()
    pdf.set_title(pdf.safe(f"Credit note {note.number}"))
    pdf.set_author(pdf.safe(clinic.name))
    pdf.add_page()
    clinic_header(pdf, clinic)
    pdf.write_line(f"Credit note {note.number}", size=14, bold=True, height=8)
    for label, value in (
        ("Issue date", fmt.day(note.issue_date)),
        ("Corrects invoice", f"{invoice.number} of {fmt.day(invoice.issue_date)}"),
        ("Currency", currency),
    ):
        pdf.write_line(f"{label}: {value}", size=9, height=4.5)
    pdf.write_line(f"Reason: {note.reason}", size=9, height=4.5)
    pdf.ln(4)
    pdf.write_line("Credit to", size=10, bold=True)
    for part in _patient_lines(invoice):
        pdf.write_line(part, size=10, height=5)
    pdf.ln(4)
    if note.kind == CreditNoteKind.LINES:
        pdf.set_font(pdf.body_font, "", 9)
        with pdf.table(
            col_widths=(70, 20, 25, 25, 25),
            text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            line_height=5.5,
            first_row_as_headings=True,
        ) as table:
            table.row(["Description", "Qty", "Net", "Tax", "Total"])
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
        what = "Everything that remained of the invoice" if note.kind == CreditNoteKind.FULL else "An amount"
        pdf.write_line(what, size=10)
    pdf.write_line(f"Net: -{fmt.money(note.net_amount, currency)}", size=10)
    pdf.write_line(f"Tax: -{fmt.money(note.tax_amount, currency)}", size=10)
    pdf.write_line(f"Credited: -{fmt.money(note.total, currency)}", size=12, bold=True, height=7)
    if note.refunded_amount:
        pdf.write_line(f"Refunded to the patient: {fmt.money(note.refunded_amount, currency)}", size=10)
    pdf.write_line(f"Invoice balance now: {fmt.money(invoice.balance, currency)}", size=11, bold=True, height=6)
    return bytes(pdf.output())
