"""Visits API: the clinical record of an appointment (note, services, codes), sign, addenda, complete."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.audit.record import audit_record, audit_record_reads
from apps.core.roles import WRITE
from apps.core.viewsets import ClinicScopedViewSet
from apps.scheduling.models import Appointment
from apps.visits import capture, selectors, services
from apps.visits.api.serializers import (
    AddendumInput,
    AddendumOutput,
    VisitListQuery,
    VisitOpenInput,
    VisitOutput,
    VisitUpdateInput,
)
from apps.visits.events import VisitEvent
from apps.visits.models import Visit


def _performed(raw: list[dict[str, Any]]) -> list[services.PerformedInput]:
    return [services.PerformedInput(service_id=item["service"], quantity=item["quantity"]) for item in raw]


class VisitViewSet(ClinicScopedViewSet):
    """Visit records. Practitioners read and write their own; owners and admins read; others see nothing."""

    resource = selectors.RESOURCE
    serializer_class = VisitOutput
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self) -> Any:
        return selectors.visit_with_details(selectors.visit_queryset_for(request_user(self.request)))

    def _output(self, visit: Visit) -> dict[str, Any]:
        return VisitOutput(selectors.visit_with_details(Visit.objects.filter(pk=visit.pk)).get()).data

    @extend_schema(
        parameters=[OpenApiParameter("clinic", OpenApiTypes.UUID), VisitListQuery], responses=VisitOutput(many=True)
    )
    def list(self, request: Request) -> Response:
        query = VisitListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        visits = selectors.visit_list(
            queryset=self.get_queryset(),
            patient_id=query.validated_data.get("patient"),
            status=query.validated_data.get("status"),
        )
        page = self.paginate_queryset(visits) or []
        audit_record_reads(
            actor=request_user(request),
            event=VisitEvent.VISIT_LIST,
            model=Visit,
            rows=page,
            query=dict(request.query_params.items()),
            related={"patients": "patient_id"},
        )
        return self.get_paginated_response(VisitOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        visit = self.get_object()
        audit_record(
            actor=request_user(request),
            obj=visit,
            event=VisitEvent.VISIT_READ,
            changes={"patient": str(visit.patient_id)},
        )
        return Response(VisitOutput(visit).data)

    @extend_schema(request=VisitOpenInput, responses={200: VisitOutput, 201: VisitOutput})
    def create(self, request: Request) -> Response:
        """Open the appointment's visit record (201), or get the one already open (200)."""
        data = VisitOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        user = request_user(request)
        # Any appointment of the caller's clinics; then the clinical-notes write right there (else 403).
        appointment = Appointment.objects.filter(
            pk=fields.pop("appointment"), clinic_id__in=list(self.access.roles)
        ).first()
        if appointment is None:
            raise ValidationError({"appointment": ["No such appointment."]})
        self.access = self.access.require(appointment.clinic_id, resource=self.resource, action=WRITE)
        visit, created = services.visit_open(
            actor=user,
            appointment=appointment,
            note=fields.get("note", ""),
            services=_performed(fields.get("services", [])),
            diagnosis_codes=fields.get("diagnosis_codes", []),
        )
        return Response(self._output(visit), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=VisitUpdateInput, responses={200: VisitOutput})
    def partial_update(self, request: Request, pk: str) -> Response:
        visit = self.get_object()
        data = VisitUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "services" in changes:
            changes["services"] = _performed(changes["services"])
        visit = services.visit_update(actor=request_user(request), visit=visit, changes=changes)
        return Response(self._output(visit))

    @extend_schema(request=None, responses={200: VisitOutput})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str) -> Response:
        """Sign the note: note, services and codes are immutable from now on."""
        visit = services.visit_sign(actor=request_user(request), visit=self.get_object())
        return Response(self._output(visit))

    @extend_schema(request=None, responses={200: VisitOutput})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Complete a signed visit: drafts the appointment's invoice from its services (``invoice`` in the answer)."""
        visit = capture.visit_complete(actor=request_user(request), visit=self.get_object())
        return Response(self._output(visit))

    @extend_schema(responses=AddendumOutput(many=True))
    @action(detail=True, methods=["get"])
    def addenda(self, request: Request, pk: str) -> Response:
        """The addenda of a signed note (reading them is a read of the note: audited)."""
        visit = self.get_object()
        audit_record(
            actor=request_user(request),
            obj=visit,
            event=VisitEvent.VISIT_READ,
            changes={"patient": str(visit.patient_id)},
        )
        page = self.paginate_queryset(visit.addenda.order_by("created_at", "id"))
        return self.get_paginated_response(AddendumOutput(page, many=True).data)

    @extend_schema(request=AddendumInput, responses={201: AddendumOutput})
    @addenda.mapping.post
    def addendum_create(self, request: Request, pk: str) -> Response:
        """Add to a signed note; the note itself never changes."""
        visit = self.get_object()
        data = AddendumInput(data=request.data)
        data.is_valid(raise_exception=True)
        addendum = services.addendum_add(actor=request_user(request), visit=visit, text=data.validated_data["text"])
        return Response(AddendumOutput(addendum).data, status=status.HTTP_201_CREATED)
