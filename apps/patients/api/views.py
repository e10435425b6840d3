"""Patients: register, search, read (audited), change, archive, FHIR, exports."""

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.audit.denied import DeniedAccessAudited
from apps.clinics.models import Clinic
from apps.core.roles import ARCHIVE, READ
from apps.core.viewsets import ClinicScopedViewSet, ListRoute, RetrieveRoute
from apps.patients import exports, selectors, services
from apps.patients.api.merge import DuplicatePairOutput, DuplicatePairsOutput, DuplicatesQuery, MergeInput, MergeOutput
from apps.patients.api.schema import FHIR_PATIENT_SCHEMA, DuplicateErrorOutput
from apps.patients.api.serializers import (
    PatientCreateInput,
    PatientExportInput,
    PatientExportOutput,
    PatientListFilter,
    PatientOutput,
    PatientUpdateInput,
)
from apps.patients.events import PatientEvent
from apps.patients.merge import patient_merge, patient_unmerge
from apps.patients.models import Patient, PatientExport
from apps.patients.outputs import PATIENT_OUTPUT

DUPLICATE_RESPONSE = OpenApiResponse(DuplicateErrorOutput, description="possible_duplicate, with the candidates")


class PatientViewSet(DeniedAccessAudited, ClinicScopedViewSet):
    resource = "patients"
    denied_event, denied_model = PatientEvent.ACCESS_DENIED, Patient
    action_permissions = {"destroy": ARCHIVE, "fhir": READ, "duplicates": "merge", "merge": "merge", "unmerge": "merge"}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = Patient.objects.all()
    list_route = ListRoute(filters=PatientListFilter, select=selectors.patient_list, output=PATIENT_OUTPUT)
    retrieve_route = RetrieveRoute(select=selectors.patient_read, output=PATIENT_OUTPUT)

    @extend_schema(request=PatientCreateInput, responses={201: PatientOutput, 409: DUPLICATE_RESPONSE})
    def create(self, request: Request) -> Response:
        data = PatientCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic_id = fields.pop("clinic")
        override = fields.pop("override_duplicate_reason", "")
        access = self.clinic_for_write(clinic_id)
        patient = services.patient_create(
            actor=access.user,
            role=access.role,
            clinic=Clinic.objects.get(pk=clinic_id),
            data=fields,
            override_duplicate_reason=override,
        )
        return Response(PATIENT_OUTPUT.render_instance(patient), status=status.HTTP_201_CREATED)

    @extend_schema(request=PatientUpdateInput, responses={200: PatientOutput, 409: DUPLICATE_RESPONSE})
    def partial_update(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        data = PatientUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        override = changes.pop("override_duplicate_reason", "")
        patient = services.patient_update(
            actor=self.access.user,
            role=self.access.role,
            patient=patient,
            changes=changes,
            override_duplicate_reason=override,
        )
        return Response(PATIENT_OUTPUT.render_instance(patient))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Archive the patient (records are never deleted)."""
        patient = self.get_object()
        services.patient_archive(actor=self.access.user, patient=patient)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[DuplicatesQuery], responses=DuplicatePairsOutput)
    @action(detail=False, methods=["get"])
    def duplicates(self, request: Request) -> Response:
        """Pairs of one clinic's active records that look like one person, most alike first (for merging)."""
        query = DuplicatesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        clinic = query.validated_data.get("clinic")
        access = self.access.require(clinic, resource=self.resource, action="merge") if clinic else self.access
        pairs = selectors.patient_duplicate_pair_records(access=access)
        return Response({"results": DuplicatePairOutput(pairs, many=True).data})

    @extend_schema(request=MergeInput, responses=MergeOutput)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str) -> Response:
        """Merge the record named in the body into this one: every reference moves here, the other stays inactive."""
        survivor = self.get_object()
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        merged = selectors.patient_access_by_id(
            self.access, data.validated_data["merged"], require_active=False, action="merge", field="merged"
        )
        record = patient_merge(
            actor=self.access.user, survivor=survivor, merged=merged, reason=data.validated_data["reason"]
        )
        return Response(MergeOutput(record).data)

    @extend_schema(request=None, responses=MergeOutput)
    @action(detail=True, methods=["post"])
    def unmerge(self, request: Request, pk: str) -> Response:
        """Undo the merge of this (merged) record: exactly what moved goes back."""
        record = patient_unmerge(actor=self.access.user, merged=self.get_object())
        return Response(MergeOutput(record).data)

    @extend_schema(responses={(200, "application/fhir+json"): FHIR_PATIENT_SCHEMA})
    @action(detail=True, methods=["get"])
    def fhir(self, request: Request, pk: str) -> Response:
        """The patient as a FHIR R4 Patient resource."""
        from apps.patients.fhir import patient_resource

        patient = selectors.patient_read(access=self.access, record=self.get_object())
        return Response(patient_resource(patient, with_links=True), content_type="application/fhir+json")


class PatientExportViewSet(DeniedAccessAudited, ClinicScopedViewSet):
    """Exports of a clinic's patients; each is visible and downloadable by its requester only."""

    denied_event, denied_model = PatientEvent.ACCESS_DENIED, PatientExport
    resource = "patients"
    scope_action = "export"
    action_permissions = {"list": "export", "retrieve": "export", "create": "export", "download": "export"}
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = PatientExportOutput

    def get_base_queryset(self) -> Any:
        return PatientExport.objects.filter(requested_by=self.access.user)

    @extend_schema(parameters=[OpenApiParameter("clinic", OpenApiTypes.UUID, description="Only this clinic's exports")])
    def list(self, request: Request) -> Response:
        """The caller's own exports, newest first."""
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

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/fhir+ndjson"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="export_not_ready"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        export = self.get_object()
        content_type = "text/csv" if export.format == "csv" else "application/fhir+ndjson"
        return FileResponse(
            exports.patient_export_open(actor=request_user(request), export=export),
            as_attachment=True,
            filename=f"patients-{export.clinic_id}.{export.file_name.rsplit('.', 1)[-1]}",
            content_type=content_type,
        )
