from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.audit.models import AuditEvent
from apps.audit.verify import audit_log_verify
from apps.core.admin import SuperuserOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserOnlyAdmin):
    """Read-only: the trail is append-only. Superusers only (clinic managers read it through the API)."""

    actions = ["verify_log"]

    list_display = ["at", "action", "resource_type", "resource_id", "actor", "clinic", "ip"]
    list_filter = ["action", "resource_type", "clinic"]
    search_fields = ["resource_id", "request_id", "=event_id"]
    date_hierarchy = "at"
    list_select_related = ["actor", "clinic"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Verify the whole audit log against its signed checkpoints")
    def verify_log(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> None:
        # The selection does not matter: the log is verified as one tree.
        report = audit_log_verify()
        if report.ok:
            self.message_user(
                request, f"Verified: {report.events} events in {report.checkpoints} checkpoints.", messages.SUCCESS
            )
        else:
            problem = report.first_problem
            assert problem is not None
            self.message_user(request, f"Mismatch ({problem.kind}): {problem.message}", messages.ERROR)
