"""The audit log, for clinic owners and admins: events, their inclusion proofs, signed checkpoints."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.api.serializers import (
    AuditEventListFilter,
    AuditEventOutput,
    CheckpointOutput,
    ConsistencyProofOutput,
    InclusionProofOutput,
)
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.proofs import audit_consistency_proof, audit_event_inclusion_proof, checkpoint_by_size
from apps.audit.selectors import audit_event_list, checkpoint_list
from apps.core.errors import ForbiddenError
from apps.core.roles import READ
from apps.core.tenancy import clinic_ids_with
from apps.core.viewsets import ClinicScopedViewSet, ListRoute


def _tree_size_param(request: Request, name: str, *, required: bool = False) -> int | None:
    raw = request.query_params.get(name, "")
    if not raw:
        if required:
            raise ValidationError({name: ["This parameter is required."]})
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a whole number."]}) from None
    if not 1 <= value <= 2**62:
        raise ValidationError({name: ["Must be a tree size of 1 or more."]})
    return value


class AuditEventViewSet(ClinicScopedViewSet):
    resource = "audit"
    queryset = AuditEvent.objects.all()
    list_route = ListRoute(filters=AuditEventListFilter, select=audit_event_list, output=AuditEventOutput)
    serializer_class = AuditEventOutput
    lookup_field = "event_id"

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", int, description="a checkpoint's size; default the latest")],
        responses={
            200: InclusionProofOutput,
            409: OpenApiResponse(description="audit_event_not_sealed (yet) or audit_event_legacy (old chain)"),
        },
    )
    @action(detail=True, methods=["get"])
    def proof(self, request: Request, event_id: Any = None) -> Response:
        """RFC 9162 inclusion proof of the event against a signed checkpoint; 409 until it is sealed."""
        event = self.get_object()
        proof = audit_event_inclusion_proof(event=event, tree_size=_tree_size_param(request, "tree_size"))
        return Response(
            {
                "event": event.event_id,
                "log_index": proof.log_index,
                "tree_size": proof.checkpoint.tree_size,
                "entry": proof.entry,
                "leaf_hash": proof.leaf_hash.hex(),
                "inclusion_path": [h.hex() for h in proof.path],
                "checkpoint": CheckpointOutput(proof.checkpoint).data,
            }
        )


FORBIDDEN = OpenApiResponse(description="Only owners and admins (of any clinic) read the checkpoints.")


class AuditCheckpointViewSet(viewsets.GenericViewSet):
    """Signed checkpoints of the whole log (every clinic's events): hashes only, no patient data.

    Readable by anyone who may read the audit log of at least one clinic, since
    verifying a clinic's events needs the checkpoints of the shared tree.
    """

    permission_classes = [IsAuthenticated]
    serializer_class = CheckpointOutput
    queryset = AuditCheckpoint.objects.all()
    lookup_field = "tree_size"
    lookup_value_converter = "int"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not clinic_ids_with(request.user, "audit", READ):
            raise ForbiddenError("Only clinic owners and admins read the audit log.")

    @extend_schema(responses={200: CheckpointOutput(many=True), 403: FORBIDDEN})
    def list(self, request: Request) -> Response:
        """Signed checkpoints, newest first."""
        page = self.paginate_queryset(checkpoint_list())
        return self.get_paginated_response([checkpoint.signed().as_dict() for checkpoint in page or []])

    @extend_schema(responses={200: CheckpointOutput, 403: FORBIDDEN})
    def retrieve(self, request: Request, tree_size: int) -> Response:
        """The signed checkpoint of one tree size."""
        return Response(CheckpointOutput(checkpoint_by_size(int(tree_size))).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("first", int, required=True, description="the older checkpoint's tree size"),
            OpenApiParameter("second", int, description="the newer checkpoint's tree size; default the latest"),
        ],
        responses={
            200: ConsistencyProofOutput,
            403: FORBIDDEN,
            404: OpenApiResponse(description="audit_checkpoint_not_found: no checkpoint of that size"),
        },
    )
    @action(detail=False, methods=["get"])
    def consistency(self, request: Request) -> Response:
        """RFC 9162 consistency proof: the log at ``second`` only appended to the log at ``first``."""
        first = _tree_size_param(request, "first", required=True)
        assert first is not None
        proof = audit_consistency_proof(first=first, second=_tree_size_param(request, "second"))
        return Response(
            {
                "first": proof.first.tree_size,
                "second": proof.second.tree_size,
                "consistency_path": [h.hex() for h in proof.path],
                "first_checkpoint": CheckpointOutput(proof.first).data,
                "second_checkpoint": CheckpointOutput(proof.second).data,
            }
        )
