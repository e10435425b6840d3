"""JWT signing-key rotation: the previous key verifies during its tokens' lifetime, an unknown one never."""

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken as PlainAccessToken

from apps.accounts.tokens import RefreshToken

pytestmark = pytest.mark.django_db
ME = reverse("auth-me")
OLD_KEY = "previous-signing-key-for-tests-only-0123456789"
NEW_KEY = "current-signing-key-for-tests-only-9876543210"


def token_signed_with(key, user):
    payload = PlainAccessToken.for_user(user).payload
    return TokenBackend(api_settings.ALGORITHM, key).encode(payload)


def me(api, token):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api.get(ME)


def test_a_token_of_the_previous_key_verifies_while_new_tokens_use_the_new_key(api, make_user):
    user = make_user()
    old_token = token_signed_with(OLD_KEY, user)
    with override_settings(SIMPLE_JWT={**_jwt_settings(), "SIGNING_KEY": NEW_KEY}, JWT_SIGNING_KEY_FALLBACKS=[OLD_KEY]):
        assert me(api, old_token).status_code == 200
        fresh = str(RefreshToken.for_user(user).access_token)
        # The fresh token is signed with the new key: it verifies with it alone.
        TokenBackend(api_settings.ALGORITHM, NEW_KEY).decode(fresh)
        assert me(api, fresh).status_code == 200


def test_a_token_of_an_unknown_key_is_refused(api, make_user):
    user = make_user()
    with override_settings(SIMPLE_JWT={**_jwt_settings(), "SIGNING_KEY": NEW_KEY}, JWT_SIGNING_KEY_FALLBACKS=[OLD_KEY]):
        response = me(api, token_signed_with("some-other-key-nobody-configured-000000", user))
        assert response.status_code == 401


def test_after_the_fallback_is_removed_the_old_key_stops_verifying(api, make_user):
    user = make_user()
    old_token = token_signed_with(OLD_KEY, user)
    with override_settings(SIMPLE_JWT={**_jwt_settings(), "SIGNING_KEY": NEW_KEY}, JWT_SIGNING_KEY_FALLBACKS=[]):
        assert me(api, old_token).status_code == 401


def test_a_refresh_token_of_the_previous_key_rotates_into_a_new_key_pair(api, make_user):
    user = make_user()
    with override_settings(SIMPLE_JWT={**_jwt_settings(), "SIGNING_KEY": OLD_KEY}):
        refresh = str(RefreshToken.for_user(user))
    with override_settings(SIMPLE_JWT={**_jwt_settings(), "SIGNING_KEY": NEW_KEY}, JWT_SIGNING_KEY_FALLBACKS=[OLD_KEY]):
        response = api.post(reverse("auth-token-refresh"), {"refresh": refresh}, format="json")
        assert response.status_code == 200
        TokenBackend(api_settings.ALGORITHM, NEW_KEY).decode(response.data["refresh"])


def _jwt_settings():
    from django.conf import settings

    return dict(settings.SIMPLE_JWT)
