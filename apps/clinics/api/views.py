"""Clinics and their members."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.clinics import selectors, services
from apps.clinics.api.serializers import (
    ClinicCreateInput,
    ClinicOutput,
    ClinicUpdateInput,
    MemberOutput,
    MemberUpdateInput,
)
from apps.core.errors import NotFoundError
from apps.core.roles import READ
from apps.core.tenancy import ClinicScopedViewSet, clinic_roles, forget_roles


class ClinicViewSet(ClinicScopedViewSet):
    """The caller's clinics. Anyone signed in may create one and becomes its owner."""

    resource = "clinic"
    clinic_field = ""
    action_permissions = {"leave": READ}
    serializer_class = ClinicOutput
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_base_queryset(self) -> Any:
        return selectors.clinic_queryset()

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClinicOutput(page, many=True, context={"request": request}).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ClinicOutput(self.get_object(), context={"request": request}).data)

    @extend_schema(request=ClinicCreateInput, responses={201: ClinicOutput})
    def create(self, request: Request) -> Response:
        data = ClinicCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        clinic = services.clinic_create(actor=request_user(request), **data.validated_data)
        forget_roles(request.user)
        return Response(ClinicOutput(clinic, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClinicUpdateInput, responses=ClinicOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        clinic = self.get_object()
        data = ClinicUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        clinic = services.clinic_update(actor=request_user(request), clinic=clinic, **data.validated_data)
        return Response(ClinicOutput(clinic, context={"request": request}).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str) -> Response:
        """Leave this clinic (refused for its last owner)."""
        clinic = self.get_object()
        membership = selectors.membership_of(clinic_id=clinic.pk, user_id=request_user(request).pk)
        if membership is None:  # pragma: no cover - get_object already proved membership
            raise NotFoundError("Not found.")
        services.membership_remove(actor=request_user(request), actor_role=None, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberViewSet(ClinicScopedViewSet):
    """A clinic's members: owners and admins manage them; admins cannot touch owners."""

    resource = "members"
    url_clinic_kwarg = "clinic_pk"
    serializer_class = MemberOutput
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.membership_list(clinic_id=self.url_clinic_id)

    def get_object(self) -> Any:
        # The clinic in the URL was checked in initial(); look the member up inside it.
        membership = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if membership is None:
            raise NotFoundError("Not found.")
        return membership

    @property
    def actor_role(self) -> Any:
        return clinic_roles(self.request.user)[self.url_clinic_id]

    def list(self, request: Request, clinic_pk: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberOutput(page, many=True).data)

    def retrieve(self, request: Request, clinic_pk: str, pk: str) -> Response:
        return Response(MemberOutput(self.get_object()).data)

    @extend_schema(request=MemberUpdateInput, responses=MemberOutput)
    def partial_update(self, request: Request, clinic_pk: str, pk: str) -> Response:
        membership = self.get_object()
        data = MemberUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=request_user(request),
            actor_role=self.actor_role,
            membership=membership,
            role=data.validated_data["role"],
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, clinic_pk: str, pk: str) -> Response:
        services.membership_remove(
            actor=request_user(request), actor_role=self.actor_role, membership=self.get_object()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
