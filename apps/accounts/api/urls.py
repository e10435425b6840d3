from django.urls import path

from apps.accounts.api.views import (
    LogoutApi,
    MfaConfirmApi,
    MfaDisableApi,
    MfaEnrollApi,
    MfaRecoveryCodesApi,
    MfaStatusApi,
    PasswordChangeApi,
    TokenObtainApi,
    TokenRefreshApi,
)

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/password/", PasswordChangeApi.as_view(), name="auth-password"),
    path("auth/mfa/", MfaStatusApi.as_view(), name="auth-mfa"),
    path("auth/mfa/totp/", MfaEnrollApi.as_view(), name="auth-mfa-totp"),
    path("auth/mfa/totp/confirm/", MfaConfirmApi.as_view(), name="auth-mfa-totp-confirm"),
    path("auth/mfa/recovery-codes/", MfaRecoveryCodesApi.as_view(), name="auth-mfa-recovery-codes"),
    path("auth/mfa/disable/", MfaDisableApi.as_view(), name="auth-mfa-disable"),
]
