"""Payments against issued invoices and refunds of payments.

Both run under row locks: the invoice's for a payment (so two payments cannot
together exceed the balance), the invoice's then the payment's for a refund
(so refunds never exceed what was paid). Lock order is always invoice, then
payment.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.events import BillingEvent
from apps.billing.models import Invoice, InvoiceStatus, Payment, Refund
from apps.billing.money import format_money
from apps.billing.services import check_amount_places, check_currency, lock_invoice
from apps.core.errors import ApplicationError, ConflictError


def _check_amount(amount: Decimal, currency: str) -> None:
    if amount <= 0:
        raise ApplicationError("The amount must be more than zero.", fields={"amount": ["Must be more than zero."]})
    check_amount_places(amount, currency)


def _settle(invoice: Invoice) -> None:
    """Keep status in step with the money: paid when covered, issued again when a refund reopens it.

    What is due is the total less credit notes; an invoice credited in full is settled ("paid").
    """
    due = invoice.total - invoice.credited_amount
    if invoice.status == InvoiceStatus.ISSUED and invoice.paid_amount >= due:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = timezone.now()
        invoice.overdue_since = None
    elif invoice.status == InvoiceStatus.PAID and invoice.paid_amount < due:
        invoice.status = InvoiceStatus.ISSUED
        invoice.paid_at = None
    invoice.save(update_fields=["paid_amount", "status", "paid_at", "overdue_since", "updated_at"])


@transaction.atomic
def payment_record(
    *,
    actor: User,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    reference: str = "",
    currency: str | None = None,
) -> Payment:
    """Record money received; more than the balance is refused (409 ``overpayment``)."""
    invoice = lock_invoice(invoice.pk)
    currency = check_currency(invoice.currency, currency)
    _check_amount(amount, currency)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ConflictError("Issue the invoice before taking payments.", code="invoice_not_issued")
    if invoice.status == InvoiceStatus.VOID:
        raise ConflictError("The invoice is void.", code="invoice_void")
    balance = invoice.balance  # total less credit notes less payments
    if amount > balance:
        raise ConflictError(
            f"The payment exceeds the balance of {format_money(balance, currency)} {currency}.",
            code="overpayment",
            fields={"amount": [f"At most {format_money(balance, currency)}."]},
            extra={"balance": format_money(balance, currency)},
        )
    payment = Payment.objects.create(
        clinic_id=invoice.clinic_id,
        invoice=invoice,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference,
        received_at=timezone.now(),
        received_by=actor,
    )
    invoice.paid_amount += amount
    _settle(invoice)
    audit_record(
        actor=actor,
        obj=payment,
        event=BillingEvent.PAYMENT_CREATE,
        changes={"invoice": str(invoice.pk), "amount": str(amount), "method": method},
    )
    return payment


@transaction.atomic
def refund_record(
    *, actor: User, payment: Payment, amount: Decimal, reason: str, currency: str | None = None
) -> Refund:
    """Give back part or all of a payment; more than is left of it is refused (409)."""
    invoice = lock_invoice(payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    currency = check_currency(payment.currency, currency)
    _check_amount(amount, currency)
    refundable = payment.amount - payment.refunded_amount
    if amount > refundable:
        raise ConflictError(
            f"At most {format_money(refundable, currency)} {currency} of this payment can be refunded.",
            code="refund_exceeds_payment",
            fields={"amount": [f"At most {format_money(refundable, currency)}."]},
            extra={"refundable": format_money(refundable, currency)},
        )
    refund = Refund.objects.create(
        clinic_id=payment.clinic_id,
        payment=payment,
        amount=amount,
        currency=currency,
        reason=reason,
        refunded_at=timezone.now(),
        created_by=actor,
    )
    payment.refunded_amount += amount
    payment.save(update_fields=["refunded_amount", "updated_at"])
    invoice.paid_amount -= amount
    _settle(invoice)
    audit_record(
        actor=actor,
        obj=refund,
        event=BillingEvent.REFUND_CREATE,
        changes={"payment": str(payment.pk), "invoice": str(invoice.pk), "amount": str(amount)},
    )
    return refund
