"""Marking issued invoices past their due date as overdue, in each clinic's own calendar."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.audit.record import AuditTarget, audit_record
from apps.billing.events import BillingEvent
from apps.billing.models import Invoice, InvoiceStatus
from apps.billing.services import clinic_today
from apps.clinics.models import Clinic


def invoices_mark_overdue(*, now: datetime | None = None) -> int:
    """Set ``overdue_since`` on issued invoices whose due date has passed where their clinic is.

    One UPDATE per clinic that has candidates (not per invoice). Idempotent:
    only rows not yet marked are touched, so a second run marks nothing; paid
    and void invoices are never marked. Returns how many were marked.
    """
    now = now or timezone.now()
    candidates = Invoice.objects.filter(status=InvoiceStatus.ISSUED, overdue_since__isnull=True)
    clinic_ids = candidates.values("clinic_id").distinct()
    marked = 0
    for clinic in Clinic.objects.filter(pk__in=clinic_ids).only("id", "time_zone"):
        today = clinic_today(clinic, now)
        with transaction.atomic():
            count = candidates.filter(clinic_id=clinic.pk, due_date__lt=today).update(
                overdue_since=today, updated_at=now
            )
            if count:
                audit_record(
                    actor=None,
                    obj=AuditTarget(resource_type="invoice", clinic_id=clinic.pk),
                    event=BillingEvent.INVOICE_MARK_OVERDUE,
                    changes={"count": count, "as_of": today.isoformat()},
                )
        marked += count
    return marked
