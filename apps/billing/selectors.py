"""Reading the catalog, invoices, payments and credit notes.

List selectors follow the base viewset's contract (apps/core/viewsets.py):
``select(*, access, filters, paginate)`` builds the scoped queryset with
``Model.objects.visible_to(access, resource)``, takes one page, records the
read audit for the rows it returned, and returns them.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When

from apps.audit.record import audit_record, audit_record_reads
from apps.billing.credit_models import CreditNote, CreditNoteLine
from apps.billing.events import BillingEvent
from apps.billing.models import CatalogItem, Invoice, InvoiceLine, Payment, Refund
from apps.core.roles import READ
from apps.core.tenancy import Access

Paginate = Callable[[Any], Sequence[Any]]

# Drafts have no number and no issue date yet: they come after the issued invoices in either direction.
_DRAFTS_LAST = Case(When(number="", then=Value(1)), default=Value(0), output_field=IntegerField())
# ``?ordering=`` of the invoice list: by number or by issue date; newest first by default.
INVOICE_ORDERINGS: dict[str, tuple[Any, ...]] = {
    "number": (_DRAFTS_LAST, "number", "id"),
    "-number": (_DRAFTS_LAST, "-number", "-id"),
    "issue_date": (F("issue_date").asc(nulls_last=True), "number", "id"),
    "-issue_date": (F("issue_date").desc(nulls_last=True), "-number", "-id"),
}
INVOICE_DEFAULT_ORDER: tuple[Any, ...] = ("-created_at", "-id")


def _audited_query(filters: dict[str, Any]) -> dict[str, str]:
    """What was asked, for the audit (the ids returned are recorded beside it)."""
    return {name: str(value) for name, value in filters.items() if value not in (None, "")}


def catalog_list(*, access: Access, filters: dict[str, Any], paginate: Paginate) -> Sequence[CatalogItem]:
    """Catalog entries by code; ``active`` filters when given."""
    items = CatalogItem.objects.visible_to(access, "services", READ)
    if filters.get("active") is not None:
        items = items.filter(active=filters["active"])
    return paginate(items.order_by("code", "id"))


def invoice_queryset(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices with their lines in one extra query, whatever the page size."""
    return queryset.prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))


def invoice_list(*, access: Access, filters: dict[str, Any], paginate: Paginate) -> Sequence[Invoice]:
    """A page of invoices filtered by status, patient and the overdue flag, in ``ordering`` (newest first)."""
    invoices = Invoice.objects.visible_to(access, "invoices", READ)
    if filters.get("status"):
        invoices = invoices.filter(status=filters["status"])
    if filters.get("patient") is not None:
        invoices = invoices.filter(patient_id=filters["patient"])
    if filters.get("overdue") is not None:
        invoices = invoices.filter(overdue_since__isnull=not filters["overdue"])
    order = INVOICE_ORDERINGS.get(filters.get("ordering") or "", INVOICE_DEFAULT_ORDER)
    page = paginate(invoice_queryset(invoices).order_by(*order))
    audit_record_reads(
        actor=access.user,
        event=BillingEvent.INVOICE_LIST,
        model=Invoice,
        rows=page,
        query=_audited_query(filters),
        related={"patients": "patient_id"},
    )
    return page


def invoice_read(*, access: Access, record: Invoice) -> Invoice:
    """One invoice, its read audited with the patient it names."""
    audit_record(
        actor=access.user, obj=record, event=BillingEvent.INVOICE_READ, changes={"patient": str(record.patient_id)}
    )
    return record


def payment_queryset(queryset: QuerySet[Payment]) -> QuerySet[Payment]:
    """Payments with their refunds in one extra query."""
    return queryset.prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("refunded_at", "id")))


def payment_list(*, access: Access, filters: dict[str, Any], paginate: Paginate) -> Sequence[Payment]:
    """Payments the caller may read, oldest first, optionally of one invoice."""
    payments = Payment.objects.visible_to(access, "payments", READ)
    if filters.get("invoice") is not None:
        payments = payments.filter(invoice_id=filters["invoice"])
    return paginate(payment_queryset(payments).order_by("received_at", "id"))


def credit_note_queryset(queryset: QuerySet[CreditNote]) -> QuerySet[CreditNote]:
    """Credit notes with their invoice and lines (two queries in all)."""
    lines = CreditNoteLine.objects.select_related("credit_note").order_by("invoice_line__position")
    return queryset.select_related("invoice").prefetch_related(Prefetch("lines", queryset=lines))


def credit_note_list(*, access: Access, filters: dict[str, Any], paginate: Paginate) -> Sequence[CreditNote]:
    """A page of credit notes, newest first, optionally of one invoice; audited as read."""
    notes = CreditNote.objects.visible_to(access, "credit_notes", READ)
    if filters.get("invoice") is not None:
        notes = notes.filter(invoice_id=filters["invoice"])
    page = paginate(credit_note_queryset(notes).order_by("-issued_at", "-id"))
    audit_record_reads(
        actor=access.user,
        event=BillingEvent.CREDIT_NOTE_LIST,
        model=CreditNote,
        rows=page,
        query=_audited_query(filters),
    )
    return page


def credit_note_read(*, access: Access, record: CreditNote) -> CreditNote:
    audit_record(actor=access.user, obj=record, event=BillingEvent.CREDIT_NOTE_READ)
    return record


def invoice_for_document(*, invoice_id: Any) -> Invoice:
    """Everything the PDF shows in four queries: the invoice (with clinic, patient and the invoice it
    replaces), its lines, payments and refunds."""
    return (
        Invoice.objects.select_related("clinic", "patient", "replaces")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
            Prefetch(
                "payments",
                queryset=Payment.objects.order_by("received_at", "id").prefetch_related(
                    Prefetch("refunds", queryset=Refund.objects.order_by("refunded_at", "id"))
                ),
            ),
        )
        .get(pk=invoice_id)
    )
