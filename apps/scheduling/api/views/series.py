"""``appointment-series/``: recurring appointments, booked all or nothing; cancel or move all or this-and-following.

One occurrence is changed through ``appointments/{id}/`` like any appointment.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.core.filters import narrowed
from apps.core.serializers import StrictInputSerializer
from apps.core.tenancy import clinic_ids_with
from apps.core.viewsets import ClinicScopedViewSet
from apps.patients.api.serializers import no_control_characters
from apps.scheduling.api.appointment_output import (
    APPOINTMENT_COLUMNS,
    AppointmentOutput,
    PatientRef,
    PractitionerRef,
    in_zone,
    patient_name,
    practitioner_display_name,
    render_appointments,
)
from apps.scheduling.api.filters import SeriesListFilter
from apps.scheduling.api.serializers import AwareDateTimeField
from apps.scheduling.api.views.common import clinic_for_write, role_in
from apps.scheduling.models import Appointment, AppointmentSeries
from apps.scheduling.recurrence import MAX_OCCURRENCES
from apps.scheduling.services import series as series_services


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, validators=[no_control_characters], **kwargs)


class SeriesCreateInput(StrictInputSerializer):
    clinic = serializers.UUIDField()
    patient = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    start = AwareDateTimeField(help_text="The first occurrence; later ones keep its local time of day")
    rrule = _text(
        200,
        help_text=(
            "RFC 5545 subset: FREQ=DAILY|WEEKLY, INTERVAL, BYDAY (weekly), and COUNT or UNTIL; "
            f"at most {MAX_OCCURRENCES} occurrences"
        ),
    )
    minutes = serializers.IntegerField(
        min_value=5, max_value=480, required=False, help_text="Default: the availability's slot length"
    )
    reason = _text(500, required=False, allow_blank=True)
    front_desk_note = _text(500, required=False, allow_blank=True)


class SeriesCancelInput(StrictInputSerializer):
    reason = _text(500)
    from_occurrence = serializers.UUIDField(required=False, help_text="This occurrence and the following; default all")


class SeriesMoveInput(StrictInputSerializer):
    time = serializers.TimeField(required=False, help_text="New local time of day")
    minutes = serializers.IntegerField(min_value=5, max_value=480, required=False)
    from_occurrence = serializers.UUIDField(required=False, help_text="This occurrence and the following; default all")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "time" not in attrs and "minutes" not in attrs:
            raise serializers.ValidationError({"time": ["Give a new time, a new length, or both."]})
        return attrs


class SeriesOutput(serializers.Serializer):
    id = serializers.UUIDField()
    clinic = serializers.UUIDField()
    time_zone = serializers.CharField()
    patient = PatientRef()
    practitioner = PractitionerRef()
    rrule = serializers.CharField()
    first_start = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    occurrences = AppointmentOutput(many=True)


SERIES_RESPONSES = {
    409: OpenApiResponse(description="series_conflicts: every conflicting occurrence with its reason"),
}


class AppointmentSeriesViewSet(ClinicScopedViewSet):
    """Recurring appointments; each occurrence is a real appointment."""

    resource = "appointments"
    action_permissions = {"cancel": "write", "move": "write"}
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = SeriesOutput

    def get_base_queryset(self) -> Any:
        return AppointmentSeries.objects.select_related("clinic", "patient", "practitioner")

    def _render(self, many: list[AppointmentSeries]) -> list[dict[str, Any]]:
        """Series with their occurrences: two queries for any number of series."""
        clinical = clinic_ids_with(self.request.user, "appointment_notes")
        rows = Appointment.objects.filter(series__in=many).order_by("start", "id").values(*APPOINTMENT_COLUMNS)
        by_series: dict[Any, list[dict[str, Any]]] = {s.pk: [] for s in many}
        for row in rows:
            by_series[row["series_id"]].append(row)
        out = []
        for series in many:
            zone_name = series.clinic.time_zone
            out.append(
                {
                    "id": str(series.pk),
                    "clinic": str(series.clinic_id),
                    "time_zone": series.clinic.time_zone,
                    "patient": {
                        "id": str(series.patient_id),
                        "name": patient_name(series.patient.given_name, series.patient.family_name),
                        "mrn": series.patient.mrn,
                    },
                    "practitioner": {
                        "id": str(series.practitioner_id),
                        "name": practitioner_display_name(series.practitioner.full_name, series.practitioner_id),
                    },
                    "rrule": series.rrule,
                    "first_start": in_zone(series.first_start, zone_name),
                    "minutes": series.duration_minutes,
                    "reason": series.reason,
                    "created_at": in_zone(series.created_at, zone_name),
                    "occurrences": render_appointments(by_series[series.pk], clinical_clinic_ids=clinical),
                }
            )
        return out

    def _answer(self, series: AppointmentSeries, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_base_queryset().get(pk=series.pk)
        return Response(self._render([fresh])[0], status=status_code)

    @extend_schema(parameters=[SeriesListFilter], responses=SeriesOutput(many=True))
    def list(self, request: Request) -> Response:
        filters = self.list_filters(SeriesListFilter)
        lookups = {"practitioner": "practitioner_id", "patient": "patient_id"}
        queryset = narrowed(self.get_queryset(), filters, lookups)
        page = self.paginate_queryset(queryset.order_by("-first_start", "id"))
        return self.get_paginated_response(self._render(list(page or [])))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(self.get_object())

    @extend_schema(request=SeriesCreateInput, responses={201: SeriesOutput, **SERIES_RESPONSES})
    def create(self, request: Request) -> Response:
        data = SeriesCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic, role = clinic_for_write(self, fields.pop("clinic"))
        series = series_services.appointment_series_book(
            actor=request_user(request),
            role=role,
            clinic=clinic,
            patient_id=fields.pop("patient"),
            practitioner_id=fields.pop("practitioner"),
            **fields,
        )
        return self._answer(series, status.HTTP_201_CREATED)

    @extend_schema(request=SeriesCancelInput, responses={200: SeriesOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel the whole series, or ``from_occurrence`` and the following."""
        series = self.get_object()
        data = SeriesCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        series_services.appointment_series_cancel(
            actor=request_user(request),
            role=role_in(request, series.clinic_id),
            series=series,
            reason=data.validated_data["reason"],
            from_appointment_id=data.validated_data.get("from_occurrence"),
        )
        return self._answer(series)

    @extend_schema(request=SeriesMoveInput, responses={200: SeriesOutput, **SERIES_RESPONSES})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        """Move the booked occurrences (all, or ``from_occurrence`` and the following) to a new time or length."""
        series = self.get_object()
        data = SeriesMoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        series_services.appointment_series_move(
            actor=request_user(request),
            role=role_in(request, series.clinic_id),
            series=series,
            at=data.validated_data.get("time"),
            minutes=data.validated_data.get("minutes"),
            from_appointment_id=data.validated_data.get("from_occurrence"),
        )
        return self._answer(series)
