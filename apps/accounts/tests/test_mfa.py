"""Staff MFA: enrolment, login with and without a code, replay, recovery codes, disabling, the clinic rule."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import LoginAttempt, RecoveryCode
from apps.accounts.tests.factories import PASSWORD
from apps.audit.models import AuditEvent
from apps.core.roles import Role

pytestmark = pytest.mark.django_db
TOKEN = reverse("auth-token")


def code_for(device, *, steps_ahead=0):
    """The device's code, ``steps_ahead`` 30-second steps from now (the server accepts one step either way)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def login(api, user, **extra):
    return api.post(TOKEN, {"email": user.email, "password": PASSWORD, **extra}, format="json")


def enrol(as_user, user):
    """Enrol a device through the API; returns (client, device, recovery codes)."""
    api = as_user(user)
    started = api.post(reverse("auth-mfa-totp"))
    assert started.status_code == 201
    uri = urlparse(started.data["otpauth_uri"])
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [started.data["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["ClinicOps"]
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    confirmed = api.post(reverse("auth-mfa-totp-confirm"), {"code": code_for(device, steps_ahead=-1)}, format="json")
    assert confirmed.status_code == 200, confirmed.data
    device.refresh_from_db()
    assert device.confirmed is True
    return api, device, confirmed.data["recovery_codes"]


def test_enrolment_confirms_with_a_first_code_and_shows_recovery_codes_once(as_user, make_user):
    user = make_user()
    api, _device, codes = enrol(as_user, user)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(code.replace("-", "") in stored for code in codes)  # digests, not the codes
    status = api.get(reverse("auth-mfa")).data
    assert status == {"enrolled": True, "required_by_clinic": False, "recovery_codes_left": 10}
    assert api.post(reverse("auth-mfa-totp")).status_code == 409  # one device at a time
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled", resource_id=str(user.pk)).exists()


def test_a_wrong_first_code_does_not_confirm(as_user, make_user):
    user = make_user()
    api = as_user(user)
    api.post(reverse("auth-mfa-totp"))
    response = api.post(reverse("auth-mfa-totp-confirm"), {"code": "000000"}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "mfa_invalid"
    assert TOTPDevice.objects.get(user=user).confirmed is False
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_login_needs_the_code_once_enrolled_and_a_used_code_is_not_accepted_again(api, as_user, make_user):
    user = make_user()
    _client, device, _codes = enrol(as_user, user)
    api.credentials()
    without = login(api, user)
    assert without.status_code == 401
    assert without.data["code"] == "mfa_required"
    assert "access" not in without.data

    code = code_for(device, steps_ahead=1)
    assert login(api, user, otp=code).status_code == 200
    replay = login(api, user, otp=code)
    assert replay.status_code == 401
    assert replay.data["code"] == "mfa_invalid"
    assert login(api, user, otp="123456").data["code"] == "mfa_invalid"
    # A wrong code counts as a failed login, like a wrong password.
    assert LoginAttempt.objects.filter(email=user.email, succeeded=False).count() == 2


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_wrong_codes_lock_the_account_like_wrong_passwords(api, as_user, make_user):
    user = make_user()
    _client, device, _codes = enrol(as_user, user)
    api.credentials()
    for guess in ("111111", "222222", "333333"):
        assert login(api, user, otp=guess).status_code == 401
    locked = login(api, user, otp=code_for(device, steps_ahead=1))
    assert locked.status_code == 429
    assert locked.data["code"] == "login_locked"


def test_a_recovery_code_logs_in_once(api, as_user, make_user):
    user = make_user()
    _client, _device, codes = enrol(as_user, user)
    api.credentials()
    assert login(api, user, otp=codes[0]).status_code == 200
    assert login(api, user, otp=codes[0]).status_code == 401
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() == 9
    assert AuditEvent.objects.filter(action="auth.mfa_recovery_code_used", resource_id=str(user.pk)).count() == 1


def test_disabling_needs_the_password_and_a_code(as_user, make_user):
    user = make_user()
    api, device, _codes = enrol(as_user, user)
    url = reverse("auth-mfa-disable")
    wrong_password = api.post(url, {"password": "nope", "code": code_for(device, steps_ahead=1)}, format="json")
    assert wrong_password.status_code == 400
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    ok = api.post(url, {"password": PASSWORD, "code": code_for(device, steps_ahead=1)}, format="json")
    assert ok.status_code == 204
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_disabling_with_a_wrong_code_changes_nothing_and_throttles_the_device(as_user, make_user):
    user = make_user()
    api, device, _codes = enrol(as_user, user)
    url = reverse("auth-mfa-disable")
    assert api.post(url, {"password": PASSWORD, "code": "000000"}, format="json").status_code == 400
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert RecoveryCode.objects.filter(user=user).count() == 10
    # django-otp's own throttle: right after a failure even the right code waits.
    again = api.post(url, {"password": PASSWORD, "code": code_for(device, steps_ahead=1)}, format="json")
    assert again.status_code == 400
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_a_clinic_requiring_mfa_restricts_its_managers_tokens_to_enrolment(api, as_user, clinic):
    owner = clinic.staff[Role.OWNER]
    receptionist = clinic.staff[Role.RECEPTIONIST]
    clinic.require_mfa_for_managers = True
    clinic.save()

    pair = login(api, owner).data
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    refused = api.get(reverse("patient-list"))
    assert refused.status_code == 403
    assert refused.data["code"] == "mfa_enrollment_required"
    assert api.get(reverse("auth-mfa")).data["required_by_clinic"] is True

    # Enrolment itself is allowed; its confirmation hands out an unrestricted pair.
    assert api.post(reverse("auth-mfa-totp")).status_code == 201
    device = TOTPDevice.objects.get(user=owner)
    confirmed = api.post(reverse("auth-mfa-totp-confirm"), {"code": code_for(device, steps_ahead=-1)}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {confirmed.data['access']}")
    assert api.get(reverse("patient-list")).status_code == 200
    # Managers of such a clinic cannot switch it off for themselves.
    disable = api.post(
        reverse("auth-mfa-disable"), {"password": PASSWORD, "code": code_for(device, steps_ahead=1)}, format="json"
    )
    assert disable.status_code == 409

    # Other roles are not affected.
    api.credentials()
    other = login(api, receptionist).data
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other['access']}")
    assert api.get(reverse("patient-list")).status_code == 200


def test_the_admin_asks_for_the_second_factor(as_user, make_user):
    staff = make_user(is_staff=True, is_superuser=True)
    _api, device, _codes = enrol(as_user, staff)
    client = Client()
    url = "/admin/login/?next=/admin/"
    assert client.post(url, {"username": staff.email, "password": PASSWORD}).status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(
        url, {"username": staff.email, "password": PASSWORD, "otp_token": code_for(device, steps_ahead=1)}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
