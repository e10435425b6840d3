"""Invitations: managers invite by email; the invitee accepts with the emailed token."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import JWTAuthentication, request_user
from apps.accounts.models import User
from apps.clinics import invitations
from apps.clinics.models import Clinic, Invitation
from apps.core.errors import NotFoundError
from apps.core.roles import Role
from apps.core.serializers import StrictInputSerializer
from apps.core.tenancy import ClinicScopedViewSet, clinic_roles


class InvitationOutput(serializers.ModelSerializer[Invitation]):
    status = serializers.CharField()

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "expires_at", "created_at", "accepted_at", "revoked_at"]


class InvitationInput(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationAcceptInput(StrictInputSerializer):
    token = serializers.CharField(max_length=128)
    password = serializers.CharField(max_length=1024, required=False, trim_whitespace=False)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AcceptedMembershipOutput(serializers.Serializer):
    id = serializers.UUIDField()
    clinic = serializers.UUIDField(source="clinic_id")
    role = serializers.CharField()


class InvitationViewSet(ClinicScopedViewSet):
    """A clinic's invitations (owners and admins). The answer is the same whether the email has an account."""

    resource = "members"
    url_clinic_kwarg = "clinic_pk"
    serializer_class = InvitationOutput
    action_permissions = {"revoke": "write"}

    def get_queryset(self) -> Any:
        return invitations.invitation_list(clinic_id=self.url_clinic_id)

    def get_object(self) -> Any:
        invitation = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if invitation is None:
            raise NotFoundError("Not found.")
        return invitation

    def list(self, request: Request, clinic_pk: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InvitationOutput(page, many=True).data)

    @extend_schema(request=InvitationInput, responses={201: InvitationOutput})
    def create(self, request: Request, clinic_pk: str) -> Response:
        data = InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = invitations.invitation_create(
            actor=request_user(request),
            actor_role=clinic_roles(request.user)[self.url_clinic_id],
            clinic=Clinic.objects.get(pk=self.url_clinic_id),
            email=data.validated_data["email"],
            role=data.validated_data["role"],
        )
        return Response(InvitationOutput(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationOutput)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, clinic_pk: str, pk: str) -> Response:
        invitation = invitations.invitation_revoke(actor=request_user(request), invitation=self.get_object())
        return Response(InvitationOutput(invitation).data)


class InvitationAcceptApi(APIView):
    """Accept an invitation with the emailed token: signed in as the invitee, or creating their account."""

    # Signed in (an existing account) or not (a new account): both may accept.
    permission_classes = [AllowAny]
    authentication_classes = [JWTAuthentication]

    @extend_schema(
        request=InvitationAcceptInput,
        responses={
            201: AcceptedMembershipOutput,
            401: OpenApiResponse(description="sign_in_required: the invited email has an account"),
            403: OpenApiResponse(description="invitation_other_user"),
            404: OpenApiResponse(description="invitation_invalid (unknown, used, revoked or expired)"),
            409: OpenApiResponse(description="already_member"),
        },
    )
    def post(self, request: Request) -> Response:
        data = InvitationAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user if isinstance(request.user, User) else None
        membership = invitations.invitation_accept(user=user, **data.validated_data)
        return Response(AcceptedMembershipOutput(membership).data, status=status.HTTP_201_CREATED)
