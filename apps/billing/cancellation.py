"""What an appointment's cancellation does to its invoice (called by apps.scheduling.hooks).

A draft is voided with the cancellation (it was never sent; voiding keeps the
record and frees the appointment). An issued invoice is a document the
patient has: it is changed only by a credit note, so the cancellation is
refused (409) until credit notes bring what it still bills to zero.
"""

from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.events import BillingEvent
from apps.billing.models import Invoice, InvoiceStatus
from apps.core.errors import ConflictError
from apps.scheduling.models import Appointment


def void_draft_or_refuse(appointment: Appointment, actor: User) -> None:
    """Void the appointment's live draft; 409 ``credit_note_required`` if an issued invoice still bills it."""
    invoice = (
        Invoice.objects.select_for_update()
        .filter(appointment_id=appointment.pk)
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )
    if invoice is None:
        return
    if invoice.status == InvoiceStatus.DRAFT:
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.voided_by = actor
        invoice.void_reason = "Appointment cancelled"
        invoice.save(update_fields=["status", "voided_at", "voided_by", "void_reason", "updated_at"])
        audit_record(
            actor=actor, obj=invoice, event=BillingEvent.INVOICE_VOID, changes={"cause": "appointment_cancelled"}
        )
        return
    if invoice.total - invoice.credited_amount > 0:
        raise ConflictError(
            f"The appointment is billed on invoice {invoice.number}: issue a credit note for it before cancelling.",
            code="credit_note_required",
            extra={"invoice": str(invoice.pk), "number": invoice.number},
        )
