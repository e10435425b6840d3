from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.token_blacklist import admin as token_admin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.accounts.lockout import LoginLocked, lockout_clear, password_check_guarded
from apps.accounts.mfa import code_verify, confirmed_device
from apps.accounts.models import LoginAttempt, User
from apps.core.admin import SuperuserOnlyAdmin, superuser_only
from apps.core.net import client_ip


class LockedOutAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, under the same lock-out and audit as the API's token endpoint.

    Users with a second factor must also give a code (or a recovery code).
    """

    otp_token = forms.CharField(
        label="Authenticator code", required=False, max_length=32, help_text="Only if you have enrolled one."
    )

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("otp_token") or ""

        def check() -> Any:
            user = authenticate(self.request, username=email, password=password)
            if isinstance(user, User) and confirmed_device(user) is not None and not code_verify(user=user, code=code):
                return None
            return user

        if email is not None and password:
            try:
                user = password_check_guarded(
                    email=email, ip=client_ip(self.request) if self.request else None, path="admin", check=check
                )
            except LoginLocked:
                raise ValidationError("Too many failed logins. Try again later.", code="login_locked") from None
            if user is None:
                raise self.get_invalid_login_error()
            self.user_cache = user
            self.confirm_login_allowed(user)
        return self.cleaned_data


admin.site.login_form = LockedOutAdminAuthenticationForm
# Django's login page shows only email and password; this one adds the code's field.
admin.site.login_template = "accounts/admin_login.html"


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (its password forms run the validators), keyed by email."""

    add_form = UserCreationForm
    form = UserChangeForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    actions = ["unlock_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")}),
    )

    @admin.action(description="Unlock login (clear recent failed attempts)")
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        cleared = sum(
            lockout_clear(email=user.email, actor=request.user if isinstance(request.user, User) else None)
            for user in queryset
        )
        self.message_user(request, f"Cleared {cleared} failed attempts.", messages.SUCCESS)


@admin.register(LoginAttempt)
class LoginAttemptAdmin(SuperuserOnlyAdmin):
    list_display = ["at", "email", "ip", "succeeded"]
    list_filter = ["succeeded"]
    search_fields = ["email", "ip"]
    date_hierarchy = "at"


# Token and device bookkeeping is infrastructure: superusers only.
superuser_only(OutstandingToken, token_admin.OutstandingTokenAdmin)
superuser_only(BlacklistedToken, token_admin.BlacklistedTokenAdmin)
superuser_only(TOTPDevice, TOTPDeviceAdmin)
