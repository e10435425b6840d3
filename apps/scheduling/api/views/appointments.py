"""Appointments: book, list, reschedule, transitions, the calendar feed."""

from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.audit.record import audit_record, audit_record_reads
from apps.core.filters import day_bound
from apps.core.roles import READ, WRITE
from apps.core.tenancy import clinic_ids_with, require_role
from apps.core.viewsets import ClinicScopedViewSet
from apps.scheduling import ical, selectors, services
from apps.scheduling.api.appointment_output import (
    APPOINTMENT_COLUMNS,
    AppointmentOutput,
    appointment_rows,
    render_appointments,
)
from apps.scheduling.api.filters import AppointmentListFilter, CalendarFilter
from apps.scheduling.api.renderers import ICalendarRenderer
from apps.scheduling.api.serializers import AppointmentCreateInput, AppointmentUpdateInput, CancelInput
from apps.scheduling.api.views.common import AppointmentPagination, clinic_for_write, role_in, zone_of
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.models import Appointment

# The calendar feed covers at most this long a span per request.
MAX_CALENDAR_DAYS = 400


TRANSITION_RESPONSES = {200: AppointmentOutput, 409: OpenApiResponse(description="invalid_transition")}


class AppointmentViewSet(ClinicScopedViewSet):
    """Appointments: book, list, reschedule, and move through check-in, completion, cancellation, no-show."""

    resource = "appointments"
    action_permissions = {"calendar": READ, "check_in": WRITE, "complete": WRITE, "cancel": WRITE, "no_show": WRITE}
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = AppointmentOutput
    pagination_class = AppointmentPagination

    def get_base_queryset(self) -> Any:
        return Appointment.objects.all()

    def _render(self, rows: Any) -> list[dict[str, Any]]:
        return render_appointments(rows, clinical_clinic_ids=clinic_ids_with(self.request.user, "appointment_notes"))

    def _answer(self, appointment: Appointment, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self._render(appointment_rows([appointment.pk]))[0], status=status_code)

    def _filtered(self, filters: dict[str, Any]) -> Any:
        zone = zone_of(filters.get("clinic"))
        return selectors.appointment_list(
            queryset=self.get_queryset(),
            practitioner_id=filters.get("practitioner"),
            patient_id=filters.get("patient"),
            statuses=filters.get("status"),
            start_from=day_bound(filters.get("date_from"), zone, end_of_day=False),
            start_before=day_bound(filters.get("date_to"), zone, end_of_day=True),
            latest_first=filters.get("ordering") == "-start",
        )

    @extend_schema(parameters=[AppointmentListFilter], responses=AppointmentOutput(many=True))
    def list(self, request: Request) -> Response:
        filters = self.list_filters(AppointmentListFilter)
        page = self.paginate_queryset(self._filtered(filters).values(*APPOINTMENT_COLUMNS)) or []
        audit_record_reads(  # the rows name the patient: one read event per request
            actor=request_user(request),
            event=SchedulingEvent.APPOINTMENT_LIST,
            model=Appointment,
            rows=page,
            query=dict(request.query_params.items()),
            related={"patients": "patient_id"},
        )
        return self.get_paginated_response(self._render(page))

    def retrieve(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        audit_record(
            actor=request_user(request),
            obj=appointment,
            event=SchedulingEvent.APPOINTMENT_READ,
            changes={"patient": str(appointment.patient_id)},
        )
        return self._answer(appointment)

    @extend_schema(request=AppointmentCreateInput, responses={201: AppointmentOutput, 409: OpenApiResponse()})
    def create(self, request: Request) -> Response:
        data = AppointmentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = clinic_for_write(self, fields.pop("clinic"))
        appointment = services.appointment_book(
            actor=request_user(request),
            role=role,
            clinic=clinic,
            patient_id=fields.pop("patient"),
            practitioner_id=fields.pop("practitioner"),
            **fields,
        )
        return self._answer(appointment, status.HTTP_201_CREATED)

    @extend_schema(request=AppointmentUpdateInput, responses={200: AppointmentOutput, 409: OpenApiResponse()})
    def partial_update(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        data = AppointmentUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        override = changes.pop("override_availability_reason", "")
        if "practitioner" in changes:
            changes["practitioner_id"] = changes.pop("practitioner")
        appointment = services.appointment_update(
            actor=request_user(request),
            role=role_in(request, appointment.clinic_id),
            appointment=appointment,
            changes=changes,
            override_availability_reason=override,
        )
        return self._answer(appointment)

    def _transition(self, request: Request, name: str, reason: str = "") -> Response:
        appointment = self.get_object()
        appointment = services.appointment_transition(
            actor=request_user(request),
            role=role_in(request, appointment.clinic_id),
            appointment=appointment,
            action=name,
            reason=reason,
        )
        return self._answer(appointment)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str) -> Response:
        return self._transition(request, "check_in")

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        return self._transition(request, "complete")

    @extend_schema(request=CancelInput, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        self.get_object()  # 404/403 before judging the body
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._transition(request, "cancel", data.validated_data["reason"])

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        return self._transition(request, "no_show")

    @extend_schema(parameters=[CalendarFilter], responses={(200, "text/calendar"): OpenApiTypes.STR})
    @action(
        detail=False,
        methods=["get"],
        url_path="calendar.ics",
        renderer_classes=[JSONRenderer, ICalendarRenderer],
        pagination_class=None,
    )
    def calendar(self, request: Request) -> HttpResponse:
        """A practitioner's appointments as an iCalendar feed (default: 30 days back, 180 ahead)."""
        user = request_user(request)
        filters = self.list_filters(CalendarFilter)
        practitioner_id = filters.get("practitioner") or user.pk
        clinic_id = filters.get("clinic")
        zone = zone_of(clinic_id)
        now = timezone.now()
        start_from = day_bound(filters.get("date_from"), zone, end_of_day=False) or now - timedelta(days=30)
        start_before = day_bound(filters.get("date_to"), zone, end_of_day=True) or now + timedelta(days=180)
        if start_before - start_from > timedelta(days=MAX_CALENDAR_DAYS):
            raise ValidationError({"date_to": [f"At most {MAX_CALENDAR_DAYS} days per feed."]})
        queryset = self.get_queryset().select_related("clinic", "patient")
        if clinic_id is not None:  # the base class narrows lists only
            require_role(request.user, clinic_id, resource=self.resource, action=READ)
            queryset = queryset.filter(clinic_id=clinic_id)
        appointments = selectors.appointment_list(
            queryset=queryset,
            practitioner_id=practitioner_id,
            start_from=start_from,
            start_before=start_before,
        )
        text = ical.appointments_calendar(appointments, name="ClinicOps appointments", host=request.get_host())
        audit_record_reads(  # the feed carries MRNs and times
            actor=user,
            event=SchedulingEvent.APPOINTMENT_CALENDAR,
            model=Appointment,
            rows=appointments,  # evaluated once, by the feed above
            query=dict(request.query_params.items()),
            related={"patients": "patient_id"},
        )
        response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="appointments.ics"'
        return response
