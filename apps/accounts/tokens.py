"""JWTs signed with one key and verified with it or any of its fallbacks.

A rotation works like Django's SECRET_KEY_FALLBACKS: the new key goes into
``JWT_SIGNING_KEY``, the old one into ``JWT_SIGNING_KEY_FALLBACKS``. New
tokens are signed with the new key; tokens signed with the old one keep
verifying until they expire (15 minutes for access, the refresh lifetime for
refresh tokens); then the fallback can be removed. A token signed with a key
in neither place is refused.
"""

from typing import Any

from django.conf import settings
from jwt.exceptions import InvalidSignatureError
from rest_framework_simplejwt import settings as jwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError


class RotatingTokenBackend(TokenBackend):
    """Signs with ``SIMPLE_JWT["SIGNING_KEY"]``; verifies with it, then each of ``JWT_SIGNING_KEY_FALLBACKS``.

    The keys are read from the settings at each use (cheap for HMAC keys), so
    a changed setting needs no restart of this object. The next key is tried
    only when the signature is wrong: an expired or malformed token is refused
    at once.
    simplejwt rebinds its ``api_settings`` when settings change, hence the
    module attribute access.
    """

    def __init__(self) -> None:
        super().__init__(
            jwt_settings.api_settings.ALGORITHM,
            jwt_settings.api_settings.SIGNING_KEY,
            leeway=jwt_settings.api_settings.LEEWAY,
        )

    def _keys(self) -> list[str]:
        fallbacks = [key for key in getattr(settings, "JWT_SIGNING_KEY_FALLBACKS", []) if key]
        return [jwt_settings.api_settings.SIGNING_KEY, *fallbacks]

    def encode(self, payload: dict[str, Any]) -> str:
        return TokenBackend(jwt_settings.api_settings.ALGORITHM, jwt_settings.api_settings.SIGNING_KEY).encode(payload)

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        if not verify:
            return TokenBackend(jwt_settings.api_settings.ALGORITHM, jwt_settings.api_settings.SIGNING_KEY).decode(
                token, verify=False
            )
        refused: TokenBackendError | None = None
        for key in self._keys():
            try:
                return TokenBackend(
                    jwt_settings.api_settings.ALGORITHM, key, leeway=jwt_settings.api_settings.LEEWAY
                ).decode(token)
            except TokenBackendError as error:
                if not isinstance(error.__cause__, InvalidSignatureError):
                    raise
                refused = error
        assert refused is not None
        raise refused


token_backend = RotatingTokenBackend()


# Set on tokens of a user whom a clinic requires to enrol a second factor and who has none yet.
ENROLL_ONLY_CLAIM = "mfa_enroll_only"


class AccessToken(tokens.AccessToken):
    _token_backend = token_backend


class RefreshToken(tokens.RefreshToken):
    _token_backend = token_backend
    access_token_class = AccessToken
