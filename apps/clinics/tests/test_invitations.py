"""Consented membership: invitations by email, the same answer for any address, accept, expire, revoke."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.clinics.models import Invitation, Membership
from apps.core.roles import Role

pytestmark = pytest.mark.django_db
ACCEPT = reverse("invitation-accept")
NEW_PASSWORD = "a-long-enough-passphrase-9"


def invite(client, clinic, email, role="practitioner"):
    return client.post(reverse("clinic-invitations", args=[clinic.pk]), {"email": email, "role": role}, format="json")


def emailed_token():
    return re.search(r"accept/: (\S+)\)", mail.outbox[-1].body).group(1)


def test_the_answer_is_the_same_for_known_and_unknown_emails(
    as_user, clinic, make_user, django_capture_on_commit_callbacks
):
    client = as_user(clinic.staff[Role.OWNER])
    known = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        for_known = invite(client, clinic, known.email)
        for_unknown = invite(client, clinic, "nobody-yet@example.test")
    assert for_known.status_code == for_unknown.status_code == 201
    shape = {key for key in for_known.data if key not in ("id", "email", "created_at", "expires_at")}
    assert shape == {key for key in for_unknown.data if key not in ("id", "email", "created_at", "expires_at")}
    assert for_known.data["status"] == for_unknown.data["status"] == "pending"
    # Nobody joined: an invitation is only an offer.
    assert not Membership.objects.filter(user=known, clinic=clinic).exists()
    assert [message.to for message in mail.outbox] == [[known.email], ["nobody-yet@example.test"]]
    assert not Invitation.objects.filter(token_hash__in=[emailed_token()]).exists()  # only its digest is stored


def test_an_existing_user_accepts_signed_in_and_the_token_alone_is_not_enough(
    api, as_user, clinic, make_user, django_capture_on_commit_callbacks
):
    invitee = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(clinic.staff[Role.ADMIN]), clinic, invitee.email, role="billing")
    token = emailed_token()
    api.credentials()
    anonymous = api.post(ACCEPT, {"token": token, "password": NEW_PASSWORD}, format="json")
    assert anonymous.status_code == 401
    assert anonymous.data["code"] == "sign_in_required"
    assert as_user(make_user()).post(ACCEPT, {"token": token}, format="json").status_code == 401  # someone else
    accepted = as_user(invitee).post(ACCEPT, {"token": token}, format="json")
    assert accepted.status_code == 201
    assert Membership.objects.get(user=invitee, clinic=clinic).role == Role.BILLING
    assert AuditEvent.objects.filter(action="invitation.accept", clinic=clinic).exists()
    again = as_user(invitee).post(ACCEPT, {"token": token}, format="json")
    assert again.status_code == 404


def test_a_new_email_accepts_by_creating_the_account(api, as_user, clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(as_user(clinic.staff[Role.OWNER]), clinic, "New.Person@Example.test")
    token = emailed_token()
    api.credentials()
    weak = api.post(ACCEPT, {"token": token, "password": "short"}, format="json")
    assert weak.status_code == 400
    assert not User.objects.filter(email="new.person@example.test").exists()
    ok = api.post(ACCEPT, {"token": token, "password": NEW_PASSWORD, "full_name": "New Person"}, format="json")
    assert ok.status_code == 201
    user = User.objects.get(email="new.person@example.test")
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user, clinic=clinic).role == Role.PRACTITIONER
    login = api.post(reverse("auth-token"), {"email": user.email, "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200


def test_expired_and_revoked_invitations_do_not_work(api, as_user, clinic, django_capture_on_commit_callbacks):
    owner = as_user(clinic.staff[Role.OWNER])
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(owner, clinic, "late@example.test").data
    expired_token = emailed_token()
    Invitation.objects.filter(pk=first["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    listed = {
        row["id"]: row["status"] for row in owner.get(reverse("clinic-invitations", args=[clinic.pk])).data["results"]
    }
    assert listed[first["id"]] == "expired"
    api.credentials()
    assert api.post(ACCEPT, {"token": expired_token, "password": NEW_PASSWORD}, format="json").status_code == 404

    owner = as_user(clinic.staff[Role.OWNER])  # the same client: sign in again
    with django_capture_on_commit_callbacks(execute=True):
        second = invite(owner, clinic, "changed-mind@example.test").data
    revoked_token = emailed_token()
    revoke = reverse("clinic-invitation-revoke", args=[clinic.pk, second["id"]])
    assert owner.post(revoke).status_code == 200
    assert owner.post(revoke).status_code == 409
    api.credentials()
    assert api.post(ACCEPT, {"token": revoked_token, "password": NEW_PASSWORD}, format="json").status_code == 404
    assert not User.objects.filter(email__in=["late@example.test", "changed-mind@example.test"]).exists()


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.RECEPTIONIST, Role.BILLING])
def test_only_managers_invite_and_nothing_is_sent_otherwise(as_user, clinic, role):
    response = invite(as_user(clinic.staff[role]), clinic, "someone@example.test")
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_another_clinics_invitations_are_404(as_user, clinic, other_clinic):
    theirs = invite(as_user(other_clinic.staff[Role.OWNER]), other_clinic, "y@example.test").data
    client = as_user(clinic.staff[Role.OWNER])
    assert invite(client, other_clinic, "x@example.test").status_code == 404
    assert client.post(reverse("clinic-invitation-revoke", args=[other_clinic.pk, theirs["id"]])).status_code == 404
    assert client.post(reverse("clinic-invitation-revoke", args=[clinic.pk, theirs["id"]])).status_code == 404
    assert Invitation.objects.get(pk=theirs["id"]).status == "pending"
