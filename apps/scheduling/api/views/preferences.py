"""Reminder preferences."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.core.filters import narrowed
from apps.core.viewsets import ClinicScopedViewSet
from apps.patients.models import Patient
from apps.scheduling import services
from apps.scheduling.api.filters import PatientFilter
from apps.scheduling.api.serializers import (
    ReminderPreferenceInput,
    ReminderPreferenceOutput,
)
from apps.scheduling.models import ReminderPreference


class ReminderPreferenceViewSet(ClinicScopedViewSet):
    """Patients' choice about appointment reminders; staff who may book may record it."""

    resource = "appointments"
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = ReminderPreferenceOutput

    def get_base_queryset(self) -> Any:
        return ReminderPreference.objects.all()

    @extend_schema(parameters=[PatientFilter])
    def list(self, request: Request) -> Response:
        queryset = narrowed(self.get_queryset(), self.list_filters(PatientFilter), {"patient": "patient_id"})
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
