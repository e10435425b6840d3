"""Persona entries for the auth routes: outside tenancy, so only the anonymous answer is checked here
(the rest is in test_auth_api.py)."""

from tests.personas import PersonaCase

PERSONAS = {
    "auth-token": PersonaCase(unscoped="signing in is public", anonymous=400),
    "auth-token-refresh": PersonaCase(unscoped="refresh tokens are presented without an access token", anonymous=400),
    "auth-logout": PersonaCase(unscoped="acts on the caller's own tokens"),
    "auth-password": PersonaCase(unscoped="acts on the caller's own account"),
    "auth-me": PersonaCase(unscoped="the caller's own account and memberships"),
    "auth-mfa": PersonaCase(unscoped="the caller's own second factor"),
    "auth-mfa-totp": PersonaCase(unscoped="the caller's own second factor"),
    "auth-mfa-totp-confirm": PersonaCase(unscoped="the caller's own second factor"),
    "auth-mfa-recovery-codes": PersonaCase(unscoped="the caller's own second factor"),
    "auth-mfa-disable": PersonaCase(unscoped="the caller's own second factor"),
}
