"""The audit trail, for clinic owners and admins."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.api.serializers import AuditEventOutput
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_event_list
from apps.core.tenancy import ClinicScopedViewSet, parse_uuid_param


class AuditEventViewSet(ClinicScopedViewSet):
    resource = "audit"
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("clinic", OpenApiTypes.UUID),
            OpenApiParameter("resource_type", str),
            OpenApiParameter("resource_id", str),
            OpenApiParameter("action", str),
            OpenApiParameter("actor", OpenApiTypes.UUID),
        ]
    )
    def list(self, request: Request) -> Response:
        filters: dict[str, Any] = {
            name: request.query_params.get(name, "") for name in ("resource_type", "resource_id", "action")
        }
        if request.query_params.get("actor"):
            filters["actor"] = parse_uuid_param(request.query_params["actor"], "actor")
        events = audit_event_list(queryset=self.get_queryset(), filters=filters)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventOutput(page, many=True).data)
