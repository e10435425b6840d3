"""Availability, its exceptions and free slots."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.clinics.models import Clinic
from apps.core.filters import narrowed
from apps.core.roles import READ
from apps.core.tenancy import require_role
from apps.core.viewsets import ClinicScopedViewSet
from apps.scheduling import selectors, services
from apps.scheduling.api.filters import AvailabilityExceptionListFilter, PractitionerFilter
from apps.scheduling.api.serializers import (
    AvailabilityCreateInput,
    AvailabilityExceptionInput,
    AvailabilityExceptionOutput,
    AvailabilityOutput,
    AvailabilityUpdateInput,
    SlotListOutput,
    SlotQuery,
)
from apps.scheduling.api.views.common import clinic_for_write, role_in
from apps.scheduling.models import Availability, AvailabilityException


class AvailabilityViewSet(ClinicScopedViewSet):
    """A practitioner's weekly hours in a clinic (local time of the clinic)."""

    resource = "availability"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = AvailabilityOutput

    def get_base_queryset(self) -> Any:
        return Availability.objects.all()

    @extend_schema(parameters=[PractitionerFilter], responses=AvailabilityOutput(many=True))
    def list(self, request: Request) -> Response:
        filters = self.list_filters(PractitionerFilter)
        queryset = narrowed(self.get_queryset(), filters, {"practitioner": "practitioner_id"})
        page = self.paginate_queryset(queryset.order_by("practitioner_id", "weekday", "start_time", "id"))
        return self.get_paginated_response(AvailabilityOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AvailabilityOutput(self.get_object()).data)

    @extend_schema(request=AvailabilityCreateInput, responses={201: AvailabilityOutput})
    def create(self, request: Request) -> Response:
        data = AvailabilityCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = clinic_for_write(self, fields.pop("clinic"))
        availability = services.availability_create(
            actor=request_user(request),
            role=role,
            clinic=clinic,
            practitioner_id=fields.pop("practitioner"),
            data=fields,
        )
        return Response(AvailabilityOutput(availability).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AvailabilityUpdateInput, responses={200: AvailabilityOutput})
    def partial_update(self, request: Request, pk: str) -> Response:
        availability = self.get_object()
        data = AvailabilityUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        availability = services.availability_update(
            actor=request_user(request),
            role=role_in(request, availability.clinic_id),
            availability=availability,
            changes=dict(data.validated_data),
        )
        return Response(AvailabilityOutput(availability).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        availability = self.get_object()
        services.availability_delete(
            actor=request_user(request), role=role_in(request, availability.clinic_id), availability=availability
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvailabilityExceptionViewSet(ClinicScopedViewSet):
    """Days off, hours off and extra hours on single local dates."""

    resource = "availability"
    http_method_names = ["get", "post", "delete", "head", "options"]
    serializer_class = AvailabilityExceptionOutput

    def get_base_queryset(self) -> Any:
        return AvailabilityException.objects.all()

    @extend_schema(parameters=[AvailabilityExceptionListFilter], responses=AvailabilityExceptionOutput(many=True))
    def list(self, request: Request) -> Response:
        filters = self.list_filters(AvailabilityExceptionListFilter)
        lookups = {"practitioner": "practitioner_id", "date_from": "date__gte", "date_to": "date__lte"}
        queryset = narrowed(self.get_queryset(), filters, lookups)
        page = self.paginate_queryset(queryset.order_by("date", "start_time", "id"))
        return self.get_paginated_response(AvailabilityExceptionOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AvailabilityExceptionOutput(self.get_object()).data)

    @extend_schema(request=AvailabilityExceptionInput, responses={201: AvailabilityExceptionOutput})
    def create(self, request: Request) -> Response:
        data = AvailabilityExceptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = clinic_for_write(self, fields.pop("clinic"))
        exception = services.availability_exception_create(
            actor=request_user(request),
            role=role,
            clinic=clinic,
            practitioner_id=fields.pop("practitioner"),
            data=fields,
        )
        return Response(AvailabilityExceptionOutput(exception).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        exception = self.get_object()
        services.availability_exception_delete(
            actor=request_user(request), role=role_in(request, exception.clinic_id), exception=exception
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotViewSet(ClinicScopedViewSet):
    """Free slots of a practitioner in a clinic: a constant number of queries for any range."""

    resource = "availability"
    http_method_names = ["get", "head", "options"]
    pagination_class = None

    @extend_schema(parameters=[SlotQuery], responses=SlotListOutput)
    def list(self, request: Request) -> Response:
        params = self.list_filters(SlotQuery)
        require_role(request.user, params["clinic"], resource=self.resource, action=READ)
        clinic = Clinic.objects.get(pk=params["clinic"])
        if not selectors.is_practitioner(clinic_id=clinic.pk, user_id=params["practitioner"]):
            raise ValidationError({"practitioner": ["Not a practitioner of this clinic."]})
        slots = selectors.free_slots(
            clinic=clinic,
            practitioner_id=params["practitioner"],
            date_from=params["date_from"],
            date_to=params["date_to"],
        )
        return Response(SlotListOutput({"time_zone": clinic.time_zone, "results": slots}).data)
