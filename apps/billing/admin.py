from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.billing.models import IdempotencyRecord, Invoice, InvoiceLine, Payment, Refund, Service

LINE_FIELDS = ("position", "service", "description", "quantity", "unit_price", "tax_rate", "net_amount", "tax_amount")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Money records change only through the services (locks, numbering, audit): the admin only looks."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
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
    list_display = ["number", "status", "total", "paid_amount", "currency", "issue_date", "due_date", "clinic"]
    list_filter = ["status", "clinic"]
    search_fields = ["=number", "=id"]
    list_select_related = ["clinic"]
    raw_id_fields = ["patient", "replaces"]
    inlines = [InvoiceLineInline]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "invoice", "amount", "refunded_amount", "currency", "method", "received_at"]
    list_filter = ["method"]
    list_select_related = ["invoice"]
    show_full_result_count = False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "amount", "currency", "refunded_at"]
    show_full_result_count = False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "clinic", "response_status", "created_at"]
    search_fields = ["=key"]
    list_select_related = ["clinic"]
