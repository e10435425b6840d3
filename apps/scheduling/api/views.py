"""Scheduling API: availability and its exceptions, free slots, appointments, calendar feed, reminder opt-outs."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.audit.record import audit_record, audit_record_reads
from apps.clinics.models import Clinic
from apps.core.dates import aware_datetime_param, date_param
from apps.core.roles import READ, WRITE, Role
from apps.core.tenancy import clinic_roles, parse_uuid_param, require_role
from apps.core.viewsets import ClinicScopedViewSet
from apps.patients.models import Patient
from apps.scheduling import ical, selectors, services
from apps.scheduling.api.serializers import (
    APPOINTMENT_COLUMNS,
    APPOINTMENT_STATUSES,
    AppointmentCreateInput,
    AppointmentOutput,
    AppointmentUpdateInput,
    AvailabilityCreateInput,
    AvailabilityExceptionInput,
    AvailabilityExceptionOutput,
    AvailabilityOutput,
    AvailabilityUpdateInput,
    CancelInput,
    ReminderPreferenceInput,
    ReminderPreferenceOutput,
    SlotListOutput,
    SlotQuery,
)
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.models import Appointment, Availability, AvailabilityException, ReminderPreference

# The calendar feed covers at most this long a span per request.
MAX_CALENDAR_DAYS = 400


def _clinic_for_write(view: ClinicScopedViewSet, clinic_id: Any) -> tuple[Clinic, Role]:
    """The clinic named in a create's body, or a 400 on the field: a non-member learns nothing."""
    role = view.require_clinic_for_write(clinic_id)
    return Clinic.objects.get(pk=clinic_id), role


def _role_in(request: Request, clinic_id: Any) -> Role:
    return clinic_roles(request.user)[clinic_id]


def _uuid_param(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    return parse_uuid_param(raw, name) if raw else None


def _bound_param(request: Request, name: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    """A date (local midnight in ``zone``; the next midnight for an inclusive end) or an instant with offset."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if len(raw) == 10:
        day = date_param(raw, name)
        return datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), tzinfo=zone)
    return aware_datetime_param(raw, name)


def _zone_of_filter(request: Request) -> ZoneInfo:
    """Dates in list filters are local to the ?clinic= given, else UTC."""
    clinic_id = _uuid_param(request, "clinic")
    if clinic_id is not None:
        zone = Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).first()
        if zone:
            return ZoneInfo(zone)
    return ZoneInfo("UTC")


CLINIC_PARAM = OpenApiParameter("clinic", OpenApiTypes.UUID)
PRACTITIONER_PARAM = OpenApiParameter("practitioner", OpenApiTypes.UUID)
RANGE_PARAMS = [
    OpenApiParameter("date_from", str, description="YYYY-MM-DD (local to ?clinic=, else UTC) or a date-time"),
    OpenApiParameter("date_to", str, description="inclusive YYYY-MM-DD, or an exclusive date-time"),
]


class AvailabilityViewSet(ClinicScopedViewSet):
    """A practitioner's weekly hours in a clinic (local time of the clinic)."""

    resource = "availability"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = AvailabilityOutput

    def get_base_queryset(self) -> Any:
        return Availability.objects.all()

    @extend_schema(parameters=[CLINIC_PARAM, PRACTITIONER_PARAM], responses=AvailabilityOutput(many=True))
    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        practitioner_id = _uuid_param(request, "practitioner")
        if practitioner_id is not None:
            queryset = queryset.filter(practitioner_id=practitioner_id)
        page = self.paginate_queryset(queryset.order_by("practitioner_id", "weekday", "start_time", "id"))
        return self.get_paginated_response(AvailabilityOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AvailabilityOutput(self.get_object()).data)

    @extend_schema(request=AvailabilityCreateInput, responses={201: AvailabilityOutput})
    def create(self, request: Request) -> Response:
        data = AvailabilityCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = _clinic_for_write(self, fields.pop("clinic"))
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
            role=_role_in(request, availability.clinic_id),
            availability=availability,
            changes=dict(data.validated_data),
        )
        return Response(AvailabilityOutput(availability).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        availability = self.get_object()
        services.availability_delete(
            actor=request_user(request), role=_role_in(request, availability.clinic_id), availability=availability
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvailabilityExceptionViewSet(ClinicScopedViewSet):
    """Days off, hours off and extra hours on single local dates."""

    resource = "availability"
    http_method_names = ["get", "post", "delete", "head", "options"]
    serializer_class = AvailabilityExceptionOutput

    def get_base_queryset(self) -> Any:
        return AvailabilityException.objects.all()

    @extend_schema(
        parameters=[
            CLINIC_PARAM,
            PRACTITIONER_PARAM,
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses=AvailabilityExceptionOutput(many=True),
    )
    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        practitioner_id = _uuid_param(request, "practitioner")
        if practitioner_id is not None:
            queryset = queryset.filter(practitioner_id=practitioner_id)
        for name, lookup in (("date_from", "date__gte"), ("date_to", "date__lte")):
            raw = request.query_params.get(name)
            if raw:
                queryset = queryset.filter(**{lookup: date_param(raw, name)})
        page = self.paginate_queryset(queryset.order_by("date", "start_time", "id"))
        return self.get_paginated_response(AvailabilityExceptionOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AvailabilityExceptionOutput(self.get_object()).data)

    @extend_schema(request=AvailabilityExceptionInput, responses={201: AvailabilityExceptionOutput})
    def create(self, request: Request) -> Response:
        data = AvailabilityExceptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = _clinic_for_write(self, fields.pop("clinic"))
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
            actor=request_user(request), role=_role_in(request, exception.clinic_id), exception=exception
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotViewSet(ClinicScopedViewSet):
    """Free slots of a practitioner in a clinic: a constant number of queries for any range."""

    resource = "availability"
    http_method_names = ["get", "head", "options"]
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("clinic", OpenApiTypes.UUID, required=True),
            OpenApiParameter("practitioner", OpenApiTypes.UUID, required=True),
            OpenApiParameter("date_from", OpenApiTypes.DATE, required=True, description="local date of the clinic"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, required=True, description="inclusive, at most 31 days on"),
        ],
        responses=SlotListOutput,
    )
    def list(self, request: Request) -> Response:
        query = SlotQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
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


class ICalendarRenderer(BaseRenderer):
    """Lets a client that accepts only text/calendar reach the feed; errors still come out as JSON text."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, str):
            return data.encode("utf-8")
        return JSONRenderer().render(data)


TRANSITION_RESPONSES = {200: AppointmentOutput, 409: OpenApiResponse(description="invalid_transition")}


class AppointmentViewSet(ClinicScopedViewSet):
    """Appointments: book, list, reschedule, and move through check-in, completion, cancellation, no-show."""

    resource = "appointments"
    action_permissions = {"calendar": READ, "check_in": WRITE, "complete": WRITE, "cancel": WRITE, "no_show": WRITE}
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = AppointmentOutput

    def get_base_queryset(self) -> Any:
        return Appointment.objects.all()

    def _filtered(self, request: Request) -> Any:
        zone = _zone_of_filter(request)
        statuses = [s for s in request.query_params.get("status", "").split(",") if s]
        unknown = sorted(set(statuses) - set(APPOINTMENT_STATUSES))
        if unknown:
            raise ValidationError({"status": [f"Unknown status: {', '.join(unknown)}."]})
        return selectors.appointment_list(
            queryset=self.get_queryset(),
            practitioner_id=_uuid_param(request, "practitioner"),
            patient_id=_uuid_param(request, "patient"),
            statuses=statuses,
            start_from=_bound_param(request, "date_from", zone, end_of_day=False),
            start_before=_bound_param(request, "date_to", zone, end_of_day=True),
        )

    @extend_schema(
        parameters=[
            CLINIC_PARAM,
            PRACTITIONER_PARAM,
            OpenApiParameter("patient", OpenApiTypes.UUID),
            OpenApiParameter("status", str, description="comma-separated: " + ", ".join(APPOINTMENT_STATUSES)),
            *RANGE_PARAMS,
        ],
        responses=AppointmentOutput(many=True),
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self._filtered(request).values(*APPOINTMENT_COLUMNS)) or []
        audit_record_reads(
            actor=request_user(request),
            event=SchedulingEvent.APPOINTMENT_LIST,
            model=Appointment,
            rows=page,
            query=dict(request.query_params.items()),
            related={"patients": "patient_id"},
        )
        return self.get_paginated_response(AppointmentOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        appointment = self.get_object()
        audit_record(
            actor=request_user(request),
            obj=appointment,
            event=SchedulingEvent.APPOINTMENT_READ,
            changes={"patient": str(appointment.patient_id)},
        )
        return Response(AppointmentOutput(appointment).data)

    @extend_schema(request=AppointmentCreateInput, responses={201: AppointmentOutput, 409: OpenApiResponse()})
    def create(self, request: Request) -> Response:
        data = AppointmentCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = _clinic_for_write(self, fields.pop("clinic"))
        appointment = services.appointment_book(
            actor=request_user(request),
            role=role,
            clinic=clinic,
            patient_id=fields.pop("patient"),
            practitioner_id=fields.pop("practitioner"),
            **fields,
        )
        return Response(AppointmentOutput(appointment).data, status=status.HTTP_201_CREATED)

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
            role=_role_in(request, appointment.clinic_id),
            appointment=appointment,
            changes=changes,
            override_availability_reason=override,
        )
        return Response(AppointmentOutput(appointment).data)

    def _transition(self, request: Request, name: str, reason: str = "") -> Response:
        appointment = self.get_object()
        appointment = services.appointment_transition(
            actor=request_user(request),
            role=_role_in(request, appointment.clinic_id),
            appointment=appointment,
            action=name,
            reason=reason,
        )
        return Response(AppointmentOutput(appointment).data)

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

    @extend_schema(
        parameters=[
            OpenApiParameter("practitioner", OpenApiTypes.UUID, description="default: the caller"),
            CLINIC_PARAM,
            *RANGE_PARAMS,
        ],
        responses={(200, "text/calendar"): OpenApiTypes.STR},
    )
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
        practitioner_id = _uuid_param(request, "practitioner") or user.pk
        zone = _zone_of_filter(request)
        now = timezone.now()
        start_from = _bound_param(request, "date_from", zone, end_of_day=False) or now - timedelta(days=30)
        start_before = _bound_param(request, "date_to", zone, end_of_day=True) or now + timedelta(days=180)
        if start_before - start_from > timedelta(days=MAX_CALENDAR_DAYS):
            raise ValidationError({"date_to": [f"At most {MAX_CALENDAR_DAYS} days per feed."]})
        queryset = self.get_queryset().select_related("clinic", "patient")
        clinic_id = _uuid_param(request, "clinic")
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


class ReminderPreferenceViewSet(ClinicScopedViewSet):
    """Patients' choice about appointment reminders; staff who may book may record it."""

    resource = "appointments"
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = ReminderPreferenceOutput

    def get_base_queryset(self) -> Any:
        return ReminderPreference.objects.all()

    @extend_schema(parameters=[CLINIC_PARAM, OpenApiParameter("patient", OpenApiTypes.UUID)])
    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        patient_id = _uuid_param(request, "patient")
        if patient_id is not None:
            queryset = queryset.filter(patient_id=patient_id)
        page = self.paginate_queryset(queryset.order_by("patient_id"))
        return self.get_paginated_response(ReminderPreferenceOutput(page, many=True).data)

    @extend_schema(request=ReminderPreferenceInput, responses={200: ReminderPreferenceOutput})
    def create(self, request: Request) -> Response:
        """Set (create or change) a patient's preference."""
        data = ReminderPreferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = Patient.objects.filter(pk=data.validated_data["patient"]).first()
        if patient is None:
            raise ValidationError({"patient": ["No such patient."]})
        self.require_clinic_for_write(patient.clinic_id, field="patient", missing="No such patient.")
        preference = services.reminder_preference_set(
            actor=request_user(request), patient=patient, opted_out=data.validated_data["opted_out"]
        )
        return Response(ReminderPreferenceOutput(preference).data)
