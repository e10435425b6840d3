"""Tokens, logout and password change (the caller's profile with clinics: apps.clinics, auth/me/)."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import mfa, services
from apps.accounts.api.serializers import (
    MfaCodeInput,
    MfaConfirmOutput,
    MfaDisableInput,
    MfaEnrollOutput,
    MfaStatusOutput,
    PasswordChangeInput,
    RecoveryCodesOutput,
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

    @extend_schema(
        request=TokenObtainInput,
        responses={
            200: TokenPairOutput,
            401: OpenApiResponse(description="invalid_credentials, mfa_required, mfa_invalid"),
        },
        auth=[],
    )
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
        services.user_change_password(user=request_user(request), **data.validated_data, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MfaStatusApi(APIView):
    """Whether the caller has a second factor, whether a clinic requires one, and recovery codes left."""

    @extend_schema(responses=MfaStatusOutput)
    def get(self, request: Request) -> Response:
        return Response(MfaStatusOutput(mfa.mfa_status(user=request_user(request))).data)


class MfaEnrollApi(APIView):
    """Begin enrolling an authenticator app: an otpauth:// URI to scan. Confirm with its first code."""

    @extend_schema(
        request=None,
        responses={201: MfaEnrollOutput, 409: OpenApiResponse(description="mfa_already_enrolled")},
    )
    def post(self, request: Request) -> Response:
        return Response(mfa.mfa_enroll_start(user=request_user(request)), status=status.HTTP_201_CREATED)


class MfaConfirmApi(APIView):
    """Confirm enrolment with the app's first code: ten recovery codes (shown once) and a new token pair."""

    @extend_schema(
        request=MfaCodeInput, responses={200: MfaConfirmOutput, 409: OpenApiResponse(description="mfa_not_started")}
    )
    def post(self, request: Request) -> Response:
        data = MfaCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        codes = mfa.mfa_enroll_confirm(user=user, code=data.validated_data["code"])
        return Response({"recovery_codes": codes, **asdict(services.token_pair_for(user))})


class MfaRecoveryCodesApi(APIView):
    """New recovery codes, proven with a current code; the old ones stop working."""

    @extend_schema(request=MfaCodeInput, responses=RecoveryCodesOutput)
    def post(self, request: Request) -> Response:
        data = MfaCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes = mfa.mfa_recovery_codes_renew(user=request_user(request), code=data.validated_data["code"])
        return Response({"recovery_codes": codes})


class MfaDisableApi(APIView):
    """Remove the second factor, with the password and a current code."""

    @extend_schema(
        request=MfaDisableInput, responses={204: None, 409: OpenApiResponse(description="mfa_required_by_clinic")}
    )
    def post(self, request: Request) -> Response:
        data = MfaDisableInput(data=request.data)
        data.is_valid(raise_exception=True)
        mfa.mfa_disable(user=request_user(request), **data.validated_data, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
