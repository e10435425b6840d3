"""Authentication loads the user and their memberships in one statement; revocation stays immediate.

Nothing outlives the request: a password change, a deactivation or a removed
membership refuses the very next request made with a token issued before it.
"""

import pytest
from django.urls import reverse

from apps.accounts.services import user_deactivate, user_set_password
from apps.clinics.models import Membership
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_a_password_change_refuses_the_very_next_request(as_user, clinic):
    user = clinic.staff[Role.RECEPTIONIST]
    patient = PatientFactory(clinic=clinic)
    client = as_user(user)
    assert client.get(reverse("patient-detail", args=[patient.pk])).status_code == 200
    user_set_password(user=user, new_password="a-new-long-passphrase-91")
    response = client.get(reverse("patient-detail", args=[patient.pk]))
    assert response.status_code == 401
    assert response.data["code"] == "password_changed"


def test_a_deactivation_refuses_the_very_next_request(as_user, clinic):
    user = clinic.staff[Role.BILLING]
    client = as_user(user)
    assert client.get(reverse("auth-me")).status_code == 200
    user_deactivate(user=user, actor=clinic.staff[Role.OWNER])
    response = client.get(reverse("auth-me"))
    assert response.status_code == 401
    assert response.data["code"] == "user_inactive"


def test_a_removed_membership_hides_the_clinic_from_the_very_next_request(as_user, clinic):
    user = clinic.staff[Role.PRACTITIONER]
    patient = PatientFactory(clinic=clinic)
    client = as_user(user)
    assert client.get(reverse("patient-detail", args=[patient.pk])).status_code == 200
    Membership.objects.filter(user=user, clinic=clinic).delete()
    assert client.get(reverse("patient-detail", args=[patient.pk])).status_code == 404
    assert client.get(reverse("auth-me")).data["memberships"] == []


def test_a_changed_role_applies_to_the_very_next_request(as_user, clinic):
    user = clinic.staff[Role.ADMIN]
    patient = PatientFactory(clinic=clinic)
    client = as_user(user)
    Membership.objects.filter(user=user, clinic=clinic).update(role=Role.BILLING)
    response = client.patch(reverse("patient-detail", args=[patient.pk]), {"given_name": "Changed"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.given_name != "Changed"


def test_a_user_without_memberships_authenticates_and_sees_nothing(as_user, make_user):
    client = as_user(make_user())
    assert client.get(reverse("auth-me")).data["memberships"] == []
    assert client.get(reverse("patient-list")).data["results"] == []


def test_a_deleted_user_is_refused(as_user, make_user):
    user = make_user()
    client = as_user(user)
    user.delete()
    response = client.get(reverse("auth-me"))
    assert response.status_code == 401
