"""Visit records in the admin: read-only (clinical notes are changed through the API, audited)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.visits.models import Visit


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "clinic", "practitioner", "created_at"]
    list_filter = ["status"]
    # No note in the list or search: the admin would disclose it without an audit event.
    fields = ("id", "status", "clinic", "appointment", "practitioner", "signed_at", "completed_at", "invoice")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
