"""Issuing credit notes: in full, by invoice lines, or by amount; never more than what remains of the invoice.

Runs under the invoice's row lock (the same lock payments take), so two
concurrent credit notes cannot together exceed the invoice, and the number
comes from the clinic's counter in this transaction: gapless, as invoice
numbers are. Where the patient has paid more than the invoice's new total,
the difference goes back through the refund path (apps.billing.payments),
newest payment first, in the same transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.events import BillingEvent
from apps.billing.models import (
    CreditNote,
    CreditNoteKind,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from apps.billing.money import format_money, line_amounts, round_money
from apps.billing.payments import _settle, refund_record
from apps.billing.services import check_amount_places, clinic_today, lock_invoice
from apps.clinics.services import clinic_counter_next
from apps.core.errors import ApplicationError, ConflictError

CREDITABLE = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
ZERO = Decimal("0")


@dataclass(frozen=True)
class CreditLineInput:
    """A quantity of one of the invoice's lines to take back."""

    line_id: Any
    quantity: Decimal


def format_credit_note_number(year: int, sequence: int) -> str:
    return f"CN-{year}-{sequence:06d}"


def _credited_so_far(invoice: Invoice) -> tuple[Decimal, Decimal]:
    sums = CreditNote.objects.filter(invoice=invoice).aggregate(net=Sum("net_amount"), tax=Sum("tax_amount"))
    return sums["net"] or ZERO, sums["tax"] or ZERO


def _by_lines(invoice: Invoice, wanted: Sequence[CreditLineInput]) -> tuple[Decimal, Decimal, list[CreditLineInput]]:
    """(net, tax) of crediting these quantities; each at most what is left of its line (400 names the line)."""
    if not wanted:
        raise ApplicationError("Name at least one line.", fields={"lines": ["At least one line."]})
    lines = {line.pk: line for line in InvoiceLine.objects.filter(invoice=invoice)}
    taken = dict(
        CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .values("invoice_line_id")
        .annotate(q=Sum("quantity"))
        .values_list("invoice_line_id", "q")
    )
    errors: dict[str, dict[str, list[str]]] = {}
    net = tax = ZERO
    seen: set[Any] = set()
    for index, item in enumerate(wanted):
        line = lines.get(item.line_id)
        if line is None or item.line_id in seen:
            errors[str(index)] = {"line": ["No such line on this invoice (or named twice)."]}
            continue
        seen.add(item.line_id)
        left = line.quantity - taken.get(line.pk, ZERO)
        if item.quantity <= 0 or item.quantity > left:
            errors[str(index)] = {"quantity": [f"More than zero and at most {left.normalize():f}."]}
            continue
        line_net, line_tax = _part(line, item.quantity, invoice.currency)
        net, tax = net + line_net, tax + line_tax
    if errors:
        raise ApplicationError("Some lines cannot be credited.", fields={"lines": errors})
    return net, tax, list(wanted)


def _by_amount(invoice: Invoice, amount: Decimal, remaining: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of a gross amount, the tax in the invoice's own proportion of tax to total."""
    check_amount_places(amount, invoice.currency)
    if amount <= 0 or amount > remaining:
        raise ApplicationError(
            f"A credit note is more than zero and at most what remains: {format_money(remaining, invoice.currency)}.",
            code="credit_exceeds_remaining",
            fields={"amount": [f"At most {format_money(remaining, invoice.currency)}."]},
        )
    tax = round_money(amount * invoice.tax_total / invoice.total, invoice.currency) if invoice.total else ZERO
    return amount - tax, tax


def _refund_excess(*, actor: User, invoice: Invoice, note: CreditNote) -> Decimal:
    """Give back what was paid beyond the new total, newest payment first; the amount refunded."""
    excess = invoice.paid_amount - (invoice.total - invoice.credited_amount)
    refunded = ZERO
    for payment in Payment.objects.filter(invoice=invoice).order_by("-received_at", "-id"):
        if excess <= 0:
            break
        amount = min(excess, payment.amount - payment.refunded_amount)
        if amount <= 0:
            continue
        refund_record(actor=actor, payment=payment, amount=amount, reason=f"Credit note {note.number}")
        excess -= amount
        refunded += amount
    return refunded


@transaction.atomic
def credit_note_issue(
    *,
    actor: User,
    invoice: Invoice,
    reason: str,
    kind: str,
    lines: Sequence[CreditLineInput] = (),
    amount: Decimal | None = None,
) -> CreditNote:
    """Credit an issued invoice (full, by lines or by amount); 409 for a draft or void one, 400 above what remains."""
    invoice = lock_invoice(invoice.pk)
    if invoice.status not in CREDITABLE:
        raise ConflictError(
            f"Only an issued invoice can be credited; this one is {invoice.status}.",
            code="invoice_not_creditable",
            extra={"status": invoice.status},
        )
    remaining = invoice.total - invoice.credited_amount
    if remaining <= 0:
        raise ConflictError("The invoice is credited in full already.", code="invoice_fully_credited")
    credited_lines: list[CreditLineInput] = []
    if kind == CreditNoteKind.FULL:
        credited_net, credited_tax = _credited_so_far(invoice)
        net, tax = invoice.subtotal - credited_net, invoice.tax_total - credited_tax
    elif kind == CreditNoteKind.LINES:
        net, tax, credited_lines = _by_lines(invoice, lines)
    else:
        if amount is None:
            raise ApplicationError("A credit by amount needs the amount.", fields={"amount": ["Required."]})
        net, tax = _by_amount(invoice, amount, remaining)
    if net + tax > remaining:
        raise ApplicationError(
            f"That is more than the {format_money(remaining, invoice.currency)} that remains of the invoice.",
            code="credit_exceeds_remaining",
            fields={"lines": [f"At most {format_money(remaining, invoice.currency)} in all."]},
        )
    today = clinic_today(invoice.clinic)
    # Its own gapless series, apart from invoice numbers; rolls back with this transaction.
    sequence = clinic_counter_next(clinic_id=invoice.clinic_id, key=f"credit-note-{today.year}")
    note = CreditNote.objects.create(
        clinic_id=invoice.clinic_id,
        invoice=invoice,
        number=format_credit_note_number(today.year, sequence),
        kind=kind,
        currency=invoice.currency,
        issue_date=today,
        reason=reason,
        net_amount=net,
        tax_amount=tax,
        total=net + tax,
        issued_at=timezone.now(),
        issued_by=actor,
    )
    line_rows = {line.pk: line for line in InvoiceLine.objects.filter(pk__in=[i.line_id for i in credited_lines])}
    rows = []
    for item in credited_lines:
        line_net, line_tax = _part(line_rows[item.line_id], item.quantity, invoice.currency)
        rows.append(
            CreditNoteLine(
                credit_note=note,
                invoice_line=line_rows[item.line_id],
                quantity=item.quantity,
                net_amount=line_net,
                tax_amount=line_tax,
            )
        )
    CreditNoteLine.objects.bulk_create(rows)
    invoice.credited_amount += note.total
    invoice.save(update_fields=["credited_amount", "updated_at"])
    refunded = ZERO
    if invoice.paid_amount > invoice.total - invoice.credited_amount:
        refunded = _refund_excess(actor=actor, invoice=invoice, note=note)
    invoice.refresh_from_db()
    _settle(invoice)
    if refunded:
        note.refunded_amount = refunded
        note.save(update_fields=["refunded_amount", "updated_at"])
    audit_record(
        actor=actor,
        obj=note,
        event=BillingEvent.CREDIT_NOTE_ISSUE,
        changes={
            "invoice": str(invoice.pk),
            "number": note.number,
            "total": str(note.total),
            "refunded": str(refunded),
        },
    )
    return note


def _part(line: InvoiceLine, quantity: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(net, tax) of ``quantity`` of a line: the whole line is exactly what it billed, a part is priced like it."""
    if quantity == line.quantity:
        return line.net_amount, line.tax_amount
    return line_amounts(quantity=quantity, unit_price=line.unit_price, tax_rate=line.tax_rate, currency=currency)
