"""Tokens, logout and password change (the caller's profile with clinics: apps.clinics, auth/me/)."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.api.serializers import (
    PasswordChangeInput,
    RefreshInput,
    TokenObtainInput,
    TokenPairOutput,
)
from apps.accounts.authentication import request_user
from apps.core.net import client_ip
from apps.core.throttling import LoginRateThrottle


class TokenObtainApi(APIView):
    """Email and password for an access token (15 minutes at most) and a refresh token."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=TokenObtainInput, responses=TokenPairOutput, auth=[])
    def post(self, request: Request) -> Response:
        data = TokenObtainInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.user_login(**data.validated_data, ip=client_ip(request))
        return Response(asdict(pair))


class TokenRefreshApi(APIView):
    """A refresh token for a new pair; the old refresh token stops working."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=RefreshInput, responses=TokenPairOutput, auth=[])
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(asdict(services.token_refresh(refresh=data.validated_data["refresh"])))


class LogoutApi(APIView):
    """Revokes the given refresh token of the caller."""

    @extend_schema(request=RefreshInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_logout(user=request_user(request), refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(APIView):
    """Change one's own password; every existing token of the caller stops working."""

    @extend_schema(request=PasswordChangeInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_change_password(user=request_user(request), **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
