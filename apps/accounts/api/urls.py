from django.urls import path

from apps.accounts.api.views import LogoutApi, PasswordChangeApi, TokenObtainApi, TokenRefreshApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/password/", PasswordChangeApi.as_view(), name="auth-password"),
]
