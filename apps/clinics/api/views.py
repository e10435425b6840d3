"""Clinics, their members, and the caller's own profile with their clinics."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import request_user
from apps.clinics import selectors, services
from apps.clinics.api.serializers import (
    ClinicCreateInput,
    ClinicOutput,
    ClinicUpdateInput,
    MemberOutput,
    MemberUpdateInput,
    MeOutput,
)
from apps.clinics.models import Membership
from apps.core.errors import NotFoundError
from apps.core.roles import READ
from apps.core.tenancy import forget_roles
from apps.core.viewsets import ClinicScopedViewSet, ListRoute, RetrieveRoute


class ClinicViewSet(ClinicScopedViewSet):
    """The caller's clinics. Anyone signed in may create one and becomes its owner."""

    resource = "clinic"
    clinic_field = ""
    action_permissions = {"leave": READ}
    http_method_names = ["get", "post", "patch", "head", "options"]
    list_route = ListRoute(select=selectors.clinic_list, output=ClinicOutput)
    retrieve_route = RetrieveRoute(output=ClinicOutput)

    def get_base_queryset(self) -> Any:
        return selectors.clinic_queryset()

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
        clinic = services.clinic_update(actor=self.access.user, clinic=clinic, **data.validated_data)
        return Response(ClinicOutput(clinic, context={"request": request}).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str) -> Response:
        """Leave this clinic (refused for its last owner)."""
        clinic = self.get_object()
        membership = selectors.membership_of(clinic_id=clinic.pk, user_id=self.access.user.pk)
        if membership is None:  # pragma: no cover - get_object already proved membership
            raise NotFoundError("Not found.")
        services.membership_remove(actor=self.access.user, role=self.access.role, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberViewSet(ClinicScopedViewSet):
    """A clinic's members: owners and admins manage them; admins cannot touch owners."""

    resource = "members"
    url_clinic_kwarg = "clinic_pk"
    http_method_names = ["get", "patch", "delete", "head", "options"]  # people join by invitation
    queryset = Membership.objects.select_related("user")
    list_route = ListRoute(select=selectors.membership_list, output=MemberOutput)
    retrieve_route = RetrieveRoute(output=MemberOutput)

    @extend_schema(request=MemberUpdateInput, responses=MemberOutput)
    def partial_update(self, request: Request, clinic_pk: str, pk: str) -> Response:
        membership = self.get_object()
        data = MemberUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=self.access.user,
            role=self.access.role,
            membership=membership,
            member_role=data.validated_data["role"],
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, clinic_pk: str, pk: str) -> Response:
        membership = self.get_object()
        services.membership_remove(actor=self.access.user, role=self.access.role, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """The signed-in user and their clinics with roles."""

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        user = request_user(request)
        body = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "is_staff": user.is_staff,
            "memberships": selectors.user_memberships(user=user),
        }
        return Response(MeOutput(body).data)
