from rest_framework import serializers

from apps.audit.models import AuditEvent


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
