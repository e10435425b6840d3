"""Lock-out through the real token endpoint, per account and per address."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import LoginAttempt
from apps.accounts.tests.factories import PASSWORD

TOKEN = reverse("auth-token")
pytestmark = pytest.mark.django_db


def login(api, email, password, **extra):
    return api.post(TOKEN, {"email": email, "password": password}, format="json", **extra)


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_account_locks_after_n_failures_and_refuses_the_right_password_until_cool_off(api, make_user):
    user = make_user()
    for _ in range(3):
        assert login(api, user.email, "wrong").status_code == 401
    locked = login(api, user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked.data["code"] == "login_locked"
    assert 0 < locked.data["retry_after"] <= 15 * 60

    # The cool-off passes (moved in the data, not slept through).
    LoginAttempt.objects.filter(email=user.email).update(at=timezone.now() - timedelta(minutes=16))
    assert login(api, user.email, PASSWORD).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_success_resets_the_account_counter(api, make_user):
    user = make_user()
    for _ in range(2):
        login(api, user.email, "wrong")
    assert login(api, user.email, PASSWORD).status_code == 200
    for _ in range(2):
        login(api, user.email, "wrong")
    assert login(api, user.email, PASSWORD).status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=100, LOGIN_FAILURE_IP_LIMIT=4)
def test_address_locks_after_failures_across_accounts(api, make_user):
    users = [make_user() for _ in range(4)]
    for user in users:
        assert login(api, user.email, "wrong").status_code == 401
    fresh = make_user()
    assert login(api, fresh.email, PASSWORD).status_code == 429
    # Another address is not affected.
    assert login(api, fresh.email, PASSWORD, REMOTE_ADDR="10.9.8.7").status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=100, LOGIN_FAILURE_IP_LIMIT=2, TRUSTED_PROXY_COUNT=0)
def test_a_spoofed_forwarded_for_does_not_escape_the_address_lock(api, make_user):
    user = make_user()
    for n in range(2):
        login(api, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = login(api, make_user().email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


@override_settings(LOGIN_FAILURE_LIMIT=100, LOGIN_FAILURE_IP_LIMIT=2, TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_the_forwarded_client_is_counted(api, make_user):
    for _ in range(2):
        login(api, make_user().email, "wrong", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")
    # Same real client (the proxy-appended entry), spoofed left part differs: still locked.
    assert login(api, make_user().email, PASSWORD, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5").status_code == 429
    # Another real client behind the same proxy is not.
    assert login(api, make_user().email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
