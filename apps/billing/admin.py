from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.models import User
from apps.billing.models import CatalogItem, IdempotencyRecord, Invoice, InvoiceLine, Payment, Refund
from apps.billing.services import invoice_void
from apps.core.admin import SuperuserOnlyAdmin, money
from apps.core.errors import ApplicationError

LINE_FIELDS = ("position", "service", "description", "quantity", "unit_price", "tax_rate", "net_amount", "tax_amount")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Money records change only through the services (locks, numbering, audit): the admin only looks."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin[CatalogItem]):
    list_display = ["code", "name", "price", "tax_rate", "active", "clinic"]
    list_filter = ["active", "clinic"]
    search_fields = ["code", "name"]
    list_select_related = ["clinic"]


class InvoiceLineInline(admin.TabularInline[InvoiceLine, Invoice]):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = LINE_FIELDS
    readonly_fields = LINE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "total_shown", "paid_shown", "issue_date", "due_date", "clinic"]
    list_filter = ["status", "clinic"]
    search_fields = ["=number", "=id"]
    list_select_related = ["clinic"]
    raw_id_fields = ["patient", "replaces"]
    inlines = [InvoiceLineInline]
    show_full_result_count = False
    actions = ["void_invoices"]

    @admin.display(description="total", ordering="total")
    def total_shown(self, invoice: Invoice) -> str:
        return money(invoice.total, invoice.currency)

    @admin.display(description="paid", ordering="paid_amount")
    def paid_shown(self, invoice: Invoice) -> str:
        return money(invoice.paid_amount, invoice.currency)

    @admin.action(description="Void selected invoices (issued, nothing paid)")
    def void_invoices(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        assert isinstance(request.user, User)
        for invoice in queryset:
            try:
                invoice_void(actor=request.user, invoice=invoice, reason="voided in the admin")
            except ApplicationError as error:
                self.message_user(request, f"{invoice.number or invoice.pk}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{invoice.number}: void.", messages.SUCCESS)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "invoice", "amount_shown", "refunded_shown", "method", "received_at"]
    list_filter = ["method"]
    list_select_related = ["invoice"]
    show_full_result_count = False

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, payment: Payment) -> str:
        return money(payment.amount, payment.currency)

    @admin.display(description="refunded", ordering="refunded_amount")
    def refunded_shown(self, payment: Payment) -> str:
        return money(payment.refunded_amount, payment.currency)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "amount", "currency", "refunded_at"]
    show_full_result_count = False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(SuperuserOnlyAdmin, ReadOnlyAdmin):
    list_display = ["key", "clinic", "response_status", "created_at"]
    search_fields = ["=key"]
    list_select_related = ["clinic"]
