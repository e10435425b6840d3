"""Reading the catalog, invoices and payments (scoped querysets come from apps.core.tenancy)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.billing.models import Invoice, InvoiceLine, Payment, Refund, Service


def service_list(*, queryset: QuerySet[Service], active: bool | None = None) -> QuerySet[Service]:
    """Catalog entries by code; ``active`` filters when given."""
    if active is not None:
        queryset = queryset.filter(active=active)
    return queryset.order_by("code", "id")


def invoice_queryset(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Invoices with their lines in one extra query, whatever the page size."""
    return queryset.prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))


def invoice_list(
    *,
    queryset: QuerySet[Invoice],
    status: str | None = None,
    patient_id: Any = None,
    overdue: bool | None = None,
) -> QuerySet[Invoice]:
    """Invoices, newest first, filtered by status, patient and the overdue flag."""
    if status:
        queryset = queryset.filter(status=status)
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    if overdue is not None:
        queryset = queryset.filter(overdue_since__isnull=not overdue)
    return invoice_queryset(queryset).order_by("-created_at", "-id")


def payment_queryset(queryset: QuerySet[Payment]) -> QuerySet[Payment]:
    """Payments with their refunds in one extra query."""
    return queryset.prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("refunded_at", "id")))


def payment_list(*, queryset: QuerySet[Payment], invoice_id: Any = None) -> QuerySet[Payment]:
    """Payments, oldest first, optionally of one invoice."""
    if invoice_id is not None:
        queryset = queryset.filter(invoice_id=invoice_id)
    return payment_queryset(queryset).order_by("received_at", "id")


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
