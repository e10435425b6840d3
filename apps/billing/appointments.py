"""The link between an invoice and the appointment it bills.

Billing may read scheduling (a foreign key to Appointment); scheduling never
imports billing: it calls back through apps.scheduling.hooks.
"""

from typing import Any

from django.db import IntegrityError, transaction

from apps.billing.models import Invoice
from apps.core.errors import ApplicationError, ConflictError
from apps.scheduling.models import Appointment

ONE_LIVE_CONSTRAINT = "billing_invoice_one_live_per_appointment"


def resolve_appointment(*, clinic_id: Any, patient_id: Any, appointment_id: Any) -> Appointment | None:
    """The appointment an invoice names: of the invoice's clinic and patient, else 400 on ``appointment_id``.

    Another clinic's appointment reads exactly like a missing one.
    """
    if appointment_id is None:
        return None
    appointment = Appointment.objects.filter(pk=appointment_id, clinic_id=clinic_id).first()
    if appointment is None:
        raise ApplicationError(
            "No such appointment in this clinic.", fields={"appointment_id": ["No such appointment."]}
        )
    if appointment.patient_id != patient_id:
        raise ApplicationError(
            "The appointment is another patient's.",
            fields={"appointment_id": ["The appointment is another patient's."]},
        )
    return appointment


def appointment_already_billed(appointment_id: Any) -> ConflictError:
    existing = Invoice.objects.filter(appointment_id=appointment_id).exclude(status="void").values_list("pk", flat=True)
    return ConflictError(
        "The appointment already has a live invoice; void it first.",
        code="appointment_has_invoice",
        fields={"appointment_id": ["Already invoiced."]},
        extra={"invoice": str(existing.first() or "")},
    )


def save_linked(invoice: Invoice, **kwargs: Any) -> None:
    """Save, turning a breach of "one live invoice per appointment" into a 409 (the index decides, race-free)."""
    try:
        with transaction.atomic():
            invoice.save(**kwargs)
    except IntegrityError as exc:
        if ONE_LIVE_CONSTRAINT in str(exc) or "appointment_fk_id" in str(exc):
            raise appointment_already_billed(invoice.appointment_id) from None
        raise
