"""JWT authentication that loads the caller and their memberships in one query, and tells the logs who is calling."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

if TYPE_CHECKING:
    from apps.accounts.models import User

from apps.accounts.tokens import ENROLL_ONLY_CLAIM
from apps.core import context
from apps.core.roles import Role

_CLINIC = "_clinicops_membership_clinic_id"
_ROLE = "_clinicops_membership_role"

# What an enrol-only token (apps.accounts.services._issue) may still reach.
ENROLMENT_PATHS = ("/api/v1/auth/mfa/", "/api/v1/auth/logout/", "/api/v1/auth/me/")


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, revocation and active checks, plus the log context.

    ``get_user`` reads the user row and their memberships in one statement (a
    LEFT JOIN: one row per membership, or one row without). Nothing is cached
    across requests, so a password change (the token's password digest no
    longer matches), a deactivation or a removed membership refuses the very
    next request. The roles seed the per-request cache of
    ``apps.core.tenancy.clinic_roles``.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            context.set_user(result[0].pk)
            if result[1].get(ENROLL_ONLY_CLAIM) and not request.path.startswith(ENROLMENT_PATHS):
                from apps.accounts.mfa import MfaEnrollmentRequired  # DRF imports this module while core.errors loads

                raise MfaEnrollmentRequired("A clinic of yours requires a second factor: enrol one at auth/mfa/.")
        return result

    def get_user(self, validated_token: Token) -> Any:
        # Imported here: tenancy imports DRF's viewsets, whose settings import this module.
        from apps.accounts.models import User
        from apps.core.tenancy import remember_clinic_roles

        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        try:
            rows = list(
                User.objects.filter(**{api_settings.USER_ID_FIELD: user_id})
                .annotate(**{_CLINIC: F("memberships__clinic_id"), _ROLE: F("memberships__role")})
                .order_by()
            )
        except (ValueError, DjangoValidationError):
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        if not rows:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        user = rows[0]
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        roles = {getattr(row, _CLINIC): Role(getattr(row, _ROLE)) for row in rows if getattr(row, _CLINIC) is not None}
        remember_clinic_roles(user, roles)
        return user


def request_user(request: Request) -> "User":
    """The signed-in user of an API request (views behind IsAuthenticated only)."""
    from apps.accounts.models import User

    user = request.user
    assert isinstance(user, User), "request_user() needs an authenticated request"
    return user
