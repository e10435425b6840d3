"""Patients: register, search, read (audited), change, archive, FHIR, exports."""

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.clinics.models import Clinic
from apps.core.errors import ConflictError, ForbiddenError
from apps.core.roles import ARCHIVE, READ
from apps.core.tenancy import ClinicScopedViewSet, clinic_ids_with, clinic_roles, parse_uuid_param
from apps.patients import exports, selectors, services
from apps.patients.api.serializers import (
    PATIENT_COLUMNS,
    DuplicateCandidateOutput,
    PatientCreateInput,
    PatientExportInput,
    PatientExportOutput,
    PatientOutput,
    PatientUpdateInput,
)
from apps.patients.models import ExportStatus, Patient, PatientExport

LIST_PARAMETERS = [
    OpenApiParameter("clinic", OpenApiTypes.UUID),
    OpenApiParameter("search", str, description="Name (typos allowed), phone, MRN or ISO date of birth"),
    OpenApiParameter("include_archived", bool),
]
DUPLICATE_RESPONSE = OpenApiResponse(DuplicateCandidateOutput(many=True), description="possible_duplicate")


def searched_clinic_ids(request: Request, resource: str) -> list[Any]:
    """The clinics a list covers: the one asked for (already checked by tenancy), or all readable."""
    raw = request.query_params.get("clinic")
    if raw:
        return [parse_uuid_param(raw, "clinic")]
    return clinic_ids_with(request.user, resource, READ)


class PatientViewSet(ClinicScopedViewSet):
    resource = "patients"
    action_permissions = {"destroy": ARCHIVE, "fhir": READ}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = PatientOutput

    def get_base_queryset(self) -> Any:
        return Patient.objects.all()

    @extend_schema(parameters=LIST_PARAMETERS, responses=PatientOutput(many=True))
    def list(self, request: Request) -> Response:
        user = request_user(request)
        include_archived = request.query_params.get("include_archived", "").lower() in ("1", "true", "yes")
        queryset = self.get_queryset()
        if include_archived:
            allowed = clinic_ids_with(user, self.resource, "read_archived")
            if not allowed:
                raise ForbiddenError("Your role may not list archived patients.")
            queryset = queryset.filter(active=True) | queryset.filter(clinic_id__in=allowed)
        else:
            queryset = queryset.filter(active=True)
        text = request.query_params.get("search", "").strip()
        if text:
            regions = selectors.clinic_regions(clinic_ids=searched_clinic_ids(request, self.resource))
            try:
                patients = selectors.patient_search(queryset=queryset, text=text, regions=regions)
            except selectors.SearchTooShort as exc:
                raise ValidationError({"search": [str(exc)]}) from None
        else:
            patients = selectors.patient_list(queryset=queryset, include_archived=True)
        # values() rows, not model instances: the page is read-only and PatientOutput takes rows.
        page = self.paginate_queryset(patients.values(*PATIENT_COLUMNS)) or []
        query = {
            key: request.query_params[key]
            for key in ("clinic", "search", "include_archived", "page")
            if key in request.query_params
        }
        services.patient_reads_audit(
            actor=user,
            action="patient.search" if text else "patient.list",
            clinic_ids=searched_clinic_ids(request, self.resource),
            patients=page,
            query=query,
        )
        return self.get_paginated_response(PatientOutput(page, many=True).data)

    def _read(self, patient: Patient) -> None:
        services.patient_reads_audit(
            actor=request_user(self.request), action="patient.read", clinic_ids=[patient.clinic_id], patients=[patient]
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        self._read(patient)
        return Response(PatientOutput(patient).data)

    @extend_schema(request=PatientCreateInput, responses={201: PatientOutput, 409: DUPLICATE_RESPONSE})
    def create(self, request: Request) -> Response:
        data = PatientCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic_id = fields.pop("clinic")
        override = fields.pop("override_duplicate_reason", "")
        role = self.require_clinic_for_write(clinic_id)
        patient = services.patient_create(
            actor=request_user(request),
            role=role,
            clinic=Clinic.objects.get(pk=clinic_id),
            data=fields,
            override_duplicate_reason=override,
        )
        return Response(PatientOutput(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PatientUpdateInput, responses={200: PatientOutput, 409: DUPLICATE_RESPONSE})
    def partial_update(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        data = PatientUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        override = changes.pop("override_duplicate_reason", "")
        patient = services.patient_update(
            actor=request_user(request),
            role=clinic_roles(request.user)[patient.clinic_id],
            patient=patient,
            changes=changes,
            override_duplicate_reason=override,
        )
        return Response(PatientOutput(patient).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Archive the patient (records are never deleted)."""
        services.patient_archive(actor=request_user(request), patient=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def fhir(self, request: Request, pk: str) -> Response:
        """The patient as a FHIR R4 Patient resource."""
        from apps.patients.fhir import patient_resource

        patient = self.get_object()
        self._read(patient)
        return Response(patient_resource(patient), content_type="application/fhir+json")


class PatientExportViewSet(ClinicScopedViewSet):
    """Exports of a clinic's patients; each is visible and downloadable by its requester only."""

    resource = "patients"
    scope_action = "export"
    action_permissions = {"list": "export", "retrieve": "export", "create": "export", "download": "export"}
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = PatientExportOutput

    def get_base_queryset(self) -> Any:
        return PatientExport.objects.filter(requested_by=request_user(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset().order_by("-created_at"))
        return self.get_paginated_response(PatientExportOutput(page, many=True, context={"request": request}).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PatientExportOutput(self.get_object(), context={"request": request}).data)

    @extend_schema(request=PatientExportInput, responses={202: PatientExportOutput})
    def create(self, request: Request) -> Response:
        data = PatientExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        self.require_clinic_for_write(data.validated_data["clinic"])
        export = services.patient_export_request(
            actor=request_user(request),
            clinic_id=data.validated_data["clinic"],
            export_format=data.validated_data["format"],
        )
        export.refresh_from_db()  # an eager task (laptop mode) has finished it already
        body = PatientExportOutput(export, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        export = self.get_object()
        if export.status != ExportStatus.DONE:
            raise ConflictError("The export is not ready.", code="export_not_ready")
        content_type = "text/csv" if export.format == "csv" else "application/fhir+ndjson"
        return FileResponse(
            open(exports.export_path(export), "rb"),
            as_attachment=True,
            filename=f"patients-{export.clinic_id}.{export.file_name.rsplit('.', 1)[-1]}",
            content_type=content_type,
        )
