"""The audit vocabulary of accounts: logins, tokens, passwords, deactivation."""

from django.db import models


class AccountEvent(models.TextChoices):
    """Audit actions recorded by apps.accounts (the stored value is the ``action``)."""

    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in refused"
    REFRESH_REUSE = "auth.refresh_reuse", "Rotated refresh token reused (family revoked)"
    LOGOUT = "auth.logout", "Signed out"
    PASSWORD_CHANGE = "auth.password_change", "Password changed"
    DEACTIVATE = "user.deactivate", "User deactivated"
    LOGIN_LOCKED = "auth.login_locked", "Sign-in refused: locked out"
    UNLOCK = "auth.unlock", "Lock-out cleared"
    MFA_ENROLL_START = "auth.mfa_enroll_start", "Second-factor enrolment started"
    MFA_ENROLLED = "auth.mfa_enrolled", "Second factor enrolled"
    MFA_DISABLED = "auth.mfa_disabled", "Second factor removed"
    MFA_RECOVERY_CODE_USED = "auth.mfa_recovery_code_used", "Recovery code used"
    MFA_RECOVERY_CODES_RENEWED = "auth.mfa_recovery_codes_renewed", "Recovery codes renewed"
