"""One lock-out for every path that checks a password: the API, the admin login and the old password."""

import threading

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from apps.accounts.models import LoginAttempt
from apps.accounts.tests.factories import PASSWORD
from apps.audit.models import AuditEvent

TOKEN = reverse("auth-token")
ADMIN_LOGIN = "/admin/login/?next=/admin/"


def api_login(api, email, password):
    return api.post(TOKEN, {"email": email, "password": password}, format="json")


def admin_login(client, email, password):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password})


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_admin_login_locks_out_after_the_limit_and_audits_each_failure(make_user):
    staff = make_user(is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(3):
        assert admin_login(client, staff.email, "wrong").status_code == 200  # the form again, with an error
    refused = admin_login(client, staff.email, PASSWORD)
    assert refused.status_code == 200
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(action="auth.login_failed", resource_id=str(staff.pk))
    assert failures.count() == 3
    assert {event.changes["path"] for event in failures} == {"admin"}
    assert AuditEvent.objects.filter(action="auth.login_locked", resource_id=str(staff.pk)).count() == 1


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_an_account_locked_on_the_api_cannot_log_in_at_the_admin(api, make_user):
    staff = make_user(is_staff=True, is_superuser=True)
    for _ in range(3):
        assert api_login(api, staff.email, "wrong").status_code == 401
    assert api_login(api, staff.email, PASSWORD).status_code == 429
    client = Client()
    assert admin_login(client, staff.email, PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_admin_login_succeeds_below_the_limit_and_is_audited(make_user):
    staff = make_user(is_staff=True, is_superuser=True)
    client = Client()
    admin_login(client, staff.email, "wrong")
    assert admin_login(client, staff.email, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
    ok = AuditEvent.objects.get(action="auth.login", resource_id=str(staff.pk))
    assert ok.changes == {"path": "admin"}


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_guesses_of_the_old_password_lock_the_account_everywhere(as_user, make_user):
    user = make_user()
    api = as_user(user)
    body = {"old_password": "wrong", "new_password": "a-new-Passw0rd-2026"}
    for _ in range(3):
        assert api.post(reverse("auth-password"), body, format="json").status_code == 400
    locked = api.post(reverse("auth-password"), {**body, "old_password": PASSWORD}, format="json")
    assert locked.status_code == 429
    assert locked.data["code"] == "login_locked"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing changed
    api.credentials()
    assert api_login(api, user.email, PASSWORD).status_code == 429


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_unlock_command_and_admin_action_clear_the_lock(api, make_user):
    user = make_user(is_staff=True, is_superuser=True)
    for _ in range(2):
        api_login(api, user.email, "wrong")
    assert api_login(api, user.email, PASSWORD).status_code == 429
    call_command("unlock_login", email=user.email)
    assert api_login(api, user.email, PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="auth.unlock", resource_id=str(user.pk)).exists()

    other = make_user()
    for _ in range(2):
        api_login(api, other.email, "wrong")
    client = Client()
    client.force_login(user)
    url = reverse("admin:accounts_user_changelist")
    response = client.post(url, {"action": "unlock_login", "_selected_action": [str(other.pk)]})
    assert response.status_code == 302
    assert api_login(api, other.email, PASSWORD).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_FAILURE_LIMIT=5, LOGIN_FAILURE_IP_LIMIT=1000)
def test_twelve_parallel_guesses_get_at_most_the_limit_of_password_checks(make_user):
    cache.clear()  # no throttle history from earlier tests: only the lock-out may refuse
    user = make_user()
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def guess():
        try:
            client = Client()
            barrier.wait()
            response = client.post(TOKEN, {"email": user.email, "password": "wrong"}, content_type="application/json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checks = LoginAttempt.objects.filter(email=user.email, succeeded=False).count()
    assert checks == 5
    assert sorted(statuses) == [401] * 5 + [429] * 7
