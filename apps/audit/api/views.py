"""The audit trail, for clinic owners and admins."""

from apps.audit.api.serializers import AuditEventListFilter, AuditEventOutput
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_event_list
from apps.core.viewsets import ClinicScopedViewSet, ListRoute


class AuditEventViewSet(ClinicScopedViewSet):
    resource = "audit"
    queryset = AuditEvent.objects.all()
    list_route = ListRoute(filters=AuditEventListFilter, select=audit_event_list, output=AuditEventOutput)
