"""JWT authentication that also tells the logs who is calling."""

from typing import TYPE_CHECKING, Any

from rest_framework.request import Request
from rest_framework_simplejwt import authentication

if TYPE_CHECKING:
    from apps.accounts.models import User

from apps.accounts.tokens import ENROLL_ONLY_CLAIM
from apps.core import context

# What an enrol-only token (apps.accounts.services._issue) may still reach.
ENROLMENT_PATHS = ("/api/v1/auth/mfa/", "/api/v1/auth/logout/", "/api/v1/auth/me/")


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, revocation and active checks, plus the log context."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            context.set_user(result[0].pk)
            if result[1].get(ENROLL_ONLY_CLAIM) and not request.path.startswith(ENROLMENT_PATHS):
                from apps.accounts.mfa import MfaEnrollmentRequired  # DRF imports this module while core.errors loads

                raise MfaEnrollmentRequired("A clinic of yours requires a second factor: enrol one at auth/mfa/.")
        return result


def request_user(request: Request) -> "User":
    """The signed-in user of an API request (views behind IsAuthenticated only)."""
    from apps.accounts.models import User

    user = request.user
    assert isinstance(user, User), "request_user() needs an authenticated request"
    return user
