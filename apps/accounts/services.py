"""Logins, token rotation, logout and passwords. Every outcome is audited."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.accounts import lockout, mfa
from apps.accounts.events import AccountEvent
from apps.accounts.models import User, normalize_email
from apps.accounts.tokens import ENROLL_ONLY_CLAIM, RefreshToken, token_backend
from apps.audit.record import audit_record
from apps.core.errors import ApplicationError


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


class InvalidToken(ApplicationError):
    """401 from views that authenticate by body (DRF would turn its own 401 into 403 there)."""

    status_code = 401
    code = "token_not_valid"

    def __init__(self, message: str = "Token is invalid or expired.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


def _decode_refresh(raw: str) -> dict[str, Any]:
    """The claims of a refresh token whose signature, algorithm and expiry verify."""
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendError:
        raise InvalidToken() from None
    if payload.get("token_type") != "refresh" or not payload.get("jti"):
        raise InvalidToken()
    return payload


def _issue(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    if mfa.mfa_required_for(user) and mfa.confirmed_device(user) is None:
        # Good for enrolling a second factor only (apps.accounts.authentication).
        refresh[ENROLL_ONLY_CLAIM] = True
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def token_pair_for(user: User) -> TokenPair:
    """A fresh pair, e.g. after enrolment has lifted the enrol-only restriction."""
    return _issue(user)


def user_login(*, email: str, password: str, ip: str | None, otp: str = "") -> TokenPair:
    """Exchange credentials (and the second factor, for users who have one) for tokens, under the lock-out.

    A right password without a code answers 401 ``mfa_required`` and counts
    as nothing; a wrong code counts as a failed login.
    """
    wrong = {"code": "invalid_credentials", "message": "No active account with these credentials."}

    def check() -> User | None:
        user = authenticate(email=normalize_email(email), password=password)
        if not isinstance(user, User) or mfa.confirmed_device(user) is None:
            return user if isinstance(user, User) else None
        if not otp:
            raise mfa.MfaRequired("This account needs a code of its second factor (otp).")
        if mfa.code_verify(user=user, code=otp):
            return user
        wrong.update(code="mfa_invalid", message="The code is wrong or was used already.")
        return None

    user = lockout.password_check_guarded(email=email, ip=ip, path="api", check=check)
    if user is None:
        raise InvalidToken(wrong["message"], code=wrong["code"])
    assert isinstance(user, User)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return _issue(user)


def _revoke_all(user_id: Any) -> int:
    """Blacklist every outstanding refresh token of a user; returns how many were new."""
    outstanding = OutstandingToken.objects.filter(user_id=user_id, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    rows = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token. Reusing a rotated one revokes the user's every session.

    A refresh token that comes back after rotation was copied: whoever holds
    the newer one may be the thief, so all of them go.
    """
    claims = _decode_refresh(refresh)
    with transaction.atomic():
        user = _claim_refresh(claims)
    if user is None:  # raised after the commit, so a reuse's revocations stay
        raise InvalidToken()
    return _issue(user)


def _claim_refresh(claims: dict[str, Any]) -> User | None:
    """Blacklist the presented token and return its user, or None when it may not be used."""
    # The row lock makes two concurrent uses of one token see each other.
    outstanding = OutstandingToken.objects.select_for_update().filter(jti=claims["jti"]).order_by().first()
    user = User.objects.filter(pk=str(claims.get("user_id", "")), is_active=True).first()
    if outstanding is None or user is None:
        return None
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        _revoke_all(user.pk)
        audit_record(actor=user, obj=user, event=AccountEvent.REFRESH_REUSE)
        return None
    if claims.get("hash_password") != get_md5_hash_password(user.password):
        return None
    BlacklistedToken.objects.create(token=outstanding)
    return user


def user_logout(*, user: User, refresh: str) -> None:
    """Revoke one refresh token of the caller (their access token expires on its own)."""
    try:
        token = _decode_refresh(refresh)
    except InvalidToken:
        raise ApplicationError("Refresh token is invalid or expired.", code="token_not_valid") from None
    if str(token.get("user_id")) != str(user.pk):
        raise ApplicationError("This refresh token is not yours.", code="token_not_valid")
    outstanding = OutstandingToken.objects.filter(jti=token["jti"]).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)
    audit_record(actor=user, obj=user, event=AccountEvent.LOGOUT)


@transaction.atomic
def user_set_password(*, user: User, new_password: str, actor: User | None = None) -> None:
    """Set a validated password and end every session: old access and refresh tokens stop working."""
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_all(user.pk)
    audit_record(actor=actor or user, obj=user, event=AccountEvent.PASSWORD_CHANGE)


def user_change_password(*, user: User, old_password: str, new_password: str, ip: str | None = None) -> None:
    """The caller changes their own password, proving the old one (under the login lock-out)."""
    proven = lockout.password_check_guarded(
        email=user.email, ip=ip, path="password_change", check=lambda: user.check_password(old_password)
    )
    if not proven:
        raise ApplicationError(
            "The current password is wrong.", code="invalid", fields={"old_password": ["Wrong password."]}
        )
    user_set_password(user=user, new_password=new_password)


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> None:
    """Disable an account: its tokens fail at once (simplejwt checks is_active) and are revoked."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    _revoke_all(user.pk)
    audit_record(actor=actor, obj=user, event=AccountEvent.DEACTIVATE)
