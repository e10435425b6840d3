from rest_framework import serializers

from apps.audit.models import AuditEvent
from apps.core.filters import IdParam, ListFilter


class AuditEventOutput(serializers.ModelSerializer[AuditEvent]):
    id = serializers.UUIDField(source="event_id")
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    clinic = serializers.UUIDField(source="clinic_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "clinic",
            "action",
            "resource_type",
            "resource_id",
            "ip",
            "request_id",
            "changes",
        ]


class AuditEventListFilter(ListFilter):
    resource_type = serializers.CharField(required=False, allow_blank=True, max_length=64)
    resource_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    action = serializers.CharField(required=False, allow_blank=True, max_length=64)
    actor = IdParam(help_text="Events by this user.")
