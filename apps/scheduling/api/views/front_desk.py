"""What the front desk reads besides appointments: the clinic's practitioners by name."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.viewsets import ClinicScopedViewSet
from apps.scheduling import selectors
from apps.scheduling.api.filters import PractitionerSearchFilter


class PractitionerOutput(serializers.Serializer):
    """A practitioner as every role of the clinic sees them: no email, no contact data."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    active = serializers.BooleanField()


def render_practitioner(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["user_id"]),
        "name": selectors.practitioner_display_name(row["user__full_name"], row["user_id"]),
        "active": row["user__is_active"],
    }


class PractitionerViewSet(ClinicScopedViewSet):
    """``clinics/{id}/practitioners/``: every member reads it (resource "appointments", read)."""

    resource = "appointments"
    url_clinic_kwarg = "clinic_pk"
    http_method_names = ["get", "head", "options"]
    serializer_class = PractitionerOutput

    @extend_schema(parameters=[PractitionerSearchFilter], responses=PractitionerOutput(many=True))
    def list(self, request: Request, clinic_pk: str) -> Response:
        search = self.list_filters(PractitionerSearchFilter)["search"].strip()
        rows = selectors.practitioner_list(clinic_id=self.url_clinic_id, search=search)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([render_practitioner(row) for row in page or []])
