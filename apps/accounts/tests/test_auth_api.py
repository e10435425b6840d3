"""Tokens through the real endpoints: login, rotation, logout, revocation, bad tokens."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.accounts.tests.factories import PASSWORD
from apps.audit.models import AuditEvent

TOKEN = reverse("auth-token")
REFRESH = reverse("auth-token-refresh")
LOGOUT = reverse("auth-logout")
ME = reverse("auth-me")
PASSWORD_URL = reverse("auth-password")

pytestmark = pytest.mark.django_db


def login(api, email, password=PASSWORD):
    return api.post(TOKEN, {"email": email, "password": password}, format="json")


def me(api, access):
    return api.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_login_returns_tokens_that_open_me(api, clinic):
    user = clinic.staff["owner"]
    response = login(api, user.email.upper())  # emails are case-insensitive
    assert response.status_code == 200, response.data
    body = me(api, response.data["access"])
    assert body.status_code == 200
    assert body.data["email"] == user.email
    assert [(m["clinic"]["id"], m["role"]) for m in body.data["memberships"]] == [(str(clinic.pk), "owner")]
    assert AuditEvent.objects.filter(action="auth.login", actor=user).count() == 1


def test_access_token_lives_at_most_15_minutes(api, make_user):
    user = make_user()
    access = AccessToken(login(api, user.email).data["access"])
    assert access["exp"] - access["iat"] <= 15 * 60


def test_wrong_password_is_401_with_code_and_audited(api, make_user):
    user = make_user()
    response = login(api, user.email, "not-the-password")
    assert response.status_code == 401
    assert response.data["code"] == "invalid_credentials"
    assert set(response.data) >= {"code", "message", "fields"}
    assert AuditEvent.objects.filter(action="auth.login_failed", resource_id=str(user.pk)).count() == 1


def test_unknown_fields_and_missing_fields_are_400(api):
    response = api.post(TOKEN, {"email": "a@b.test", "password": "x", "remember": True}, format="json")
    assert response.status_code == 400
    assert response.data["fields"]["remember"] == ["Unknown field."]
    assert api.post(TOKEN, {}, format="json").data["fields"].keys() == {"email", "password"}


def test_refresh_rotates_and_reuse_of_a_rotated_token_revokes_the_chain(api, make_user):
    user = make_user()
    first = login(api, user.email).data
    rotated = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert rotated.data["refresh"] != first["refresh"]
    assert me(api, rotated.data["access"]).status_code == 200

    reused = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.data["code"] == "token_not_valid"
    # Reuse means the token was copied: the newer refresh token is revoked too.
    assert api.post(REFRESH, {"refresh": rotated.data["refresh"]}, format="json").status_code == 401
    assert AuditEvent.objects.filter(action="auth.refresh_reuse", actor=user).exists()


def test_logout_revokes_the_refresh_token(api, make_user):
    user = make_user()
    pair = login(api, user.email).data
    response = api.post(
        LOGOUT, {"refresh": pair["refresh"]}, format="json", HTTP_AUTHORIZATION=f"Bearer {pair['access']}"
    )
    assert response.status_code == 204
    assert api.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_logout_refuses_someone_elses_refresh_token(api, make_user):
    mine, theirs = login(api, make_user().email).data, login(api, make_user().email).data
    response = api.post(
        LOGOUT, {"refresh": theirs["refresh"]}, format="json", HTTP_AUTHORIZATION=f"Bearer {mine['access']}"
    )
    assert response.status_code == 400
    assert api.post(REFRESH, {"refresh": theirs["refresh"]}, format="json").status_code == 200


def test_logout_needs_authentication(api):
    assert api.post(LOGOUT, {"refresh": "x"}, format="json").status_code == 401


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("kind", ["expired", "tampered", "alg_none", "wrong_key", "garbage", "refresh_as_access"])
def test_bad_access_tokens_are_401(api, make_user, kind):
    user = make_user()
    good = AccessToken.for_user(user)
    if kind == "expired":
        good.set_exp(lifetime=-timedelta(seconds=1))
        token = str(good)
    elif kind == "tampered":
        header, payload, signature = str(good).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["user_id"] = "00000000-0000-0000-0000-000000000000"
        token = f"{header}.{_b64(claims)}.{signature}"
    elif kind == "alg_none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(dict(good.payload))}."
    elif kind == "wrong_key":
        token = jwt.encode(dict(good.payload), "another-key-another-key-another-key-42", algorithm="HS256")
    elif kind == "refresh_as_access":
        token = str(RefreshToken.for_user(user))
    else:
        token = "not.a.jwt"
    response = me(api, token)
    assert response.status_code == 401
    assert response.data["code"] in {"token_not_valid", "authentication_failed"}


def test_password_change_kills_existing_access_and_refresh_tokens(api, make_user):
    user = make_user()
    pair = login(api, user.email).data
    response = api.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password": "a-new-long-passphrase-7"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access']}",
    )
    assert response.status_code == 204
    assert me(api, pair["access"]).status_code == 401
    assert api.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert login(api, user.email, "a-new-long-passphrase-7").status_code == 200


@pytest.mark.parametrize("weak", ["short", "password123", "12345678901234"])
def test_password_change_runs_the_validators_and_changes_nothing_on_refusal(api, make_user, weak):
    user = make_user()
    pair = login(api, user.email).data
    response = api.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password": weak},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access']}",
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert me(api, pair["access"]).status_code == 200


def test_password_change_needs_the_old_password(api, make_user):
    user = make_user()
    pair = login(api, user.email).data
    response = api.post(
        PASSWORD_URL,
        {"old_password": "wrong", "new_password": "a-new-long-passphrase-7"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access']}",
    )
    assert response.status_code == 400
    assert "old_password" in response.data["fields"]


def test_deactivated_user_tokens_fail_at_once(api, make_user):
    user = make_user()
    pair = login(api, user.email).data
    user.is_active = False
    user.save()
    assert me(api, pair["access"]).status_code == 401
    assert api.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert login(api, user.email).status_code == 401


def test_me_needs_authentication(api):
    response = api.get(ME)
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


def test_signing_key_is_the_secret_unless_set():
    assert settings.SIMPLE_JWT["SIGNING_KEY"]
