"""Second factor for staff: TOTP (RFC 6238) through django-otp, and one-time recovery codes.

A user has at most one confirmed TOTP device. Enrolment creates an
unconfirmed device and its ``otpauth://`` URI; the first valid code confirms
it and returns ten recovery codes, shown once and stored as SHA-256 digests
(they are random 50-bit codes, so a slow hash adds nothing). A used TOTP code
cannot be used again (django-otp keeps the last time step; the device row is
locked while it is checked) and a recovery code works once. Code checks at
login go through the same lock-out as passwords (apps.accounts.lockout).
"""

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.events import AccountEvent
from apps.accounts.models import RecoveryCode, User
from apps.audit.record import audit_record
from apps.core.errors import ApplicationError, ConflictError
from apps.core.roles import MANAGERS

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand


class MfaRequired(ApplicationError):
    status_code = 401
    code = "mfa_required"


class MfaEnrollmentRequired(ApplicationError):
    status_code = 403
    code = "mfa_enrollment_required"


def confirmed_device(user: User) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def mfa_required_for(user: User) -> bool:
    """Whether a clinic where the user is an owner or admin requires them to use a second factor."""
    return user.memberships.filter(role__in=list(MANAGERS), clinic__require_mfa_for_managers=True).exists()


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_digest(code)) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def code_verify(*, user: User, code: str) -> bool:
    """Check a TOTP code or a recovery code of the user; each works once. Call inside a transaction."""
    code = (code or "").strip()
    if not code:
        return False
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return False
    if code.isdigit():
        return bool(device.verify_token(code))
    used = RecoveryCode.objects.filter(user=user, code_hash=_digest(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if used:
        audit_record(actor=user, obj=user, event=AccountEvent.MFA_RECOVERY_CODE_USED)
    return bool(used)


@transaction.atomic
def mfa_enroll_start(*, user: User) -> dict[str, Any]:
    """Begin enrolment: a new unconfirmed device (replacing an unfinished one) and its URI for a phone app."""
    if confirmed_device(user) is not None:
        raise ConflictError("A second factor is already enrolled; disable it first.", code="mfa_already_enrolled")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    audit_record(actor=user, obj=user, event=AccountEvent.MFA_ENROLL_START)
    return {"otpauth_uri": device.config_url, "secret": device.config_url.split("secret=")[1].split("&")[0]}


@transaction.atomic
def mfa_enroll_confirm(*, user: User, code: str) -> list[str]:
    """Confirm enrolment with a first code; returns the recovery codes (shown this once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ConflictError("Start enrolment first.", code="mfa_not_started")
    if not (code or "").strip().isdigit() or not device.verify_token(code.strip()):
        raise ApplicationError("The code is wrong or expired.", code="mfa_invalid", fields={"code": ["Wrong code."]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, obj=user, event=AccountEvent.MFA_ENROLLED)
    return _new_recovery_codes(user)


@transaction.atomic
def mfa_recovery_codes_renew(*, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), proven with a current code."""
    if not code_verify(user=user, code=code):
        raise ApplicationError("The code is wrong or expired.", code="mfa_invalid", fields={"code": ["Wrong code."]})
    audit_record(actor=user, obj=user, event=AccountEvent.MFA_RECOVERY_CODES_RENEWED)
    return _new_recovery_codes(user)


def mfa_disable(*, user: User, password: str, code: str, ip: str | None) -> None:
    """Remove the second factor, proven with the password (under the lock-out) and a code."""
    from apps.accounts import lockout

    if mfa_required_for(user):
        raise ConflictError(
            "A clinic of yours requires a second factor for its managers.", code="mfa_required_by_clinic"
        )

    def proven() -> bool:
        return user.check_password(password) and code_verify(user=user, code=code)

    if not lockout.password_check_guarded(email=user.email, ip=ip, path="mfa_disable", check=proven):
        raise ApplicationError("The password or the code is wrong.", code="mfa_invalid")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(actor=user, obj=user, event=AccountEvent.MFA_DISABLED)


def mfa_status(*, user: User) -> dict[str, Any]:
    """What the user's second factor looks like, for auth/mfa/."""
    return {
        "enrolled": confirmed_device(user) is not None,
        "required_by_clinic": mfa_required_for(user),
        "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
    }
