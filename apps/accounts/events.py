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
