"""Daily billing housekeeping: overdue invoices and old idempotency keys."""

from apps.billing.idempotency import idempotency_records_prune
from apps.billing.overdue import invoices_mark_overdue
from apps.core.tasks import clinicops_task


@clinicops_task(name="apps.billing.tasks.mark_overdue_invoices")
def mark_overdue_invoices() -> int:
    """Mark issued invoices past due in their clinic's calendar; a second run marks nothing."""
    return invoices_mark_overdue()


@clinicops_task(name="apps.billing.tasks.prune_idempotency_records")
def prune_idempotency_records() -> int:
    """Forget idempotency keys past their retention; deleting what is old is idempotent."""
    return idempotency_records_prune()
