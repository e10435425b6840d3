"""Charge capture: completing a signed visit drafts the appointment's invoice from its services, in one transaction.

Prices and tax rates are the catalog's at that moment (the invoice lines copy
them). The visit's row lock serialises concurrent completes, and billing's
partial unique index (one live invoice per appointment) decides any race with
an invoice drafted by hand: exactly one live invoice per appointment results.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.models import Invoice, InvoiceStatus
from apps.billing.services import LineInput, invoice_create
from apps.clinics.models import Clinic
from apps.core.errors import ConflictError
from apps.visits.events import VisitEvent
from apps.visits.models import Visit, VisitStatus
from apps.visits.services import _require_author


def _live_invoice(appointment_id: Any) -> Invoice | None:
    return Invoice.objects.filter(appointment_id=appointment_id).exclude(status=InvoiceStatus.VOID).first()


@transaction.atomic
def visit_complete(*, actor: User, visit: Visit) -> Visit:
    """Mark a signed visit completed and draft its invoice (lines: its services at catalog prices).

    A visit without services drafts nothing. If the appointment already has a
    live invoice (the front desk billed it by hand), that one stays the
    appointment's invoice and is linked: billing reconciles, nothing doubles.
    """
    visit = Visit.objects.select_for_update().select_related("appointment").get(pk=visit.pk)
    _require_author(actor, visit)
    if visit.completed_at is not None:
        raise ConflictError(
            "The visit is completed already.", code="visit_completed", extra={"invoice": str(visit.invoice_id or "")}
        )
    if visit.status != VisitStatus.SIGNED:
        raise ConflictError("Sign the note before completing the visit.", code="visit_not_signed")
    performed = list(visit.services.order_by("position"))
    invoice = _live_invoice(visit.appointment_id)
    if invoice is None and performed:
        lines = [LineInput(service_id=row.service_id, quantity=row.quantity) for row in performed]
        try:
            invoice = invoice_create(
                actor=actor,
                clinic=Clinic.objects.get(pk=visit.clinic_id),
                patient_id=visit.patient_id,
                lines=lines,
                appointment_id=visit.appointment_id,
            )
        except ConflictError as exc:
            if exc.code != "appointment_has_invoice":
                raise
            invoice = _live_invoice(visit.appointment_id)  # drafted by hand a moment ago: it stands
    visit.completed_at = timezone.now()
    visit.invoice = invoice
    visit.save(update_fields=["completed_at", "invoice", "updated_at"])
    audit_record(
        actor=actor,
        obj=visit,
        event=VisitEvent.VISIT_COMPLETE,
        changes={"invoice": str(invoice.pk) if invoice else None, "services": len(performed)},
    )
    return visit
