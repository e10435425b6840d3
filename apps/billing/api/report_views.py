"""Billing reports API: revenue and aging of one clinic, as JSON or (``Accept: text/csv``) CSV."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.billing import reports, services
from apps.billing.api.report_csv import ReportCsvRenderer
from apps.billing.api.report_serializers import AgingReportOutput, RevenueReportOutput
from apps.billing.api.serializers import AgingQuery, RevenueQuery
from apps.clinics.models import Clinic
from apps.core.roles import READ
from apps.core.tenancy import require_role
from apps.core.viewsets import ClinicScopedViewSet


class ReportViewSet(ClinicScopedViewSet):
    """Revenue and aging of one clinic, from SQL aggregates."""

    resource = "reports"
    queryset = Clinic.objects.none()

    def _clinic(self, clinic_id: Any) -> Clinic:
        require_role(request_user(self.request), clinic_id, resource=self.resource, action=READ)
        return Clinic.objects.get(pk=clinic_id)

    @extend_schema(
        parameters=[
            OpenApiParameter("clinic", OpenApiTypes.UUID, required=True),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (clinic's calendar); default: 1st of this month"
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive; default: today"),
        ],
        responses={(200, "application/json"): RevenueReportOutput, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"], renderer_classes=[renderers.JSONRenderer, ReportCsvRenderer])
    def revenue(self, request: Request) -> Response:
        """Issued, paid, refunded and outstanding: totals, by day and by service."""
        query = RevenueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        clinic = self._clinic(query.validated_data["clinic"])
        today = services.clinic_today(clinic)
        last = query.validated_data.get("to") or today
        first = query.validated_data.get("from") or last.replace(day=1)
        if first > last:
            raise ValidationError({"from": ["Must not be after 'to'."]})
        if (last - first).days >= reports.MAX_REPORT_DAYS:
            raise ValidationError({"to": [f"At most {reports.MAX_REPORT_DAYS} days per report."]})
        return Response(reports.revenue_report(clinic=clinic, first=first, last=last))

    @extend_schema(
        parameters=[OpenApiParameter("clinic", OpenApiTypes.UUID, required=True)],
        responses={(200, "application/json"): AgingReportOutput, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"], renderer_classes=[renderers.JSONRenderer, ReportCsvRenderer])
    def aging(self, request: Request) -> Response:
        """Outstanding money on issued invoices by days since issue (0-30, 31-60, 61-90, 90+), today."""
        query = AgingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        clinic = self._clinic(query.validated_data["clinic"])
        return Response(reports.aging_report(clinic=clinic, as_of=services.clinic_today(clinic)))
