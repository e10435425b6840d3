"""Clinics and members: creation, settings, the owner rules, leaving (roles and tenancy: tests/test_personas.py)."""

import uuid

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.clinics.models import Clinic, Membership
from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


def clinic_url(clinic):
    return reverse("clinic-detail", args=[clinic.pk])


def members_url(clinic):
    return reverse("clinic-members", args=[clinic.pk])


def member_url(clinic, membership):
    return reverse("clinic-member", args=[clinic.pk, membership.pk])


def membership(clinic, role):
    return Membership.objects.get(clinic=clinic, user=clinic.staff[role])


# --- clinics -----------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_list_shows_only_my_clinics_with_my_role(as_user, clinic, other_clinic, role):
    response = as_user(clinic.staff[role]).get(reverse("clinic-list"))
    assert response.status_code == 200
    assert [(c["id"], c["my_role"]) for c in response.data["results"]] == [(str(clinic.pk), role.value)]


def test_list_is_the_union_over_my_clinics(as_user, clinic, other_clinic):
    user = clinic.staff[Role.BILLING]
    MembershipFactory(user=user, clinic=other_clinic, role=Role.ADMIN)
    response = as_user(user).get(reverse("clinic-list"))
    assert {c["id"] for c in response.data["results"]} == {str(clinic.pk), str(other_clinic.pk)}


def test_create_makes_the_creator_owner_and_is_audited(as_user, make_user):
    user = make_user()
    response = as_user(user).post(
        reverse("clinic-list"), {"name": "Lakeside Clinic", "time_zone": "America/New_York", "currency": "USD"}
    )
    assert response.status_code == 201, response.data
    assert response.data["slug"] == "lakeside-clinic"
    assert response.data["my_role"] == "owner"
    clinic = Clinic.objects.get(pk=response.data["id"])
    assert Membership.objects.get(clinic=clinic).role == Role.OWNER
    assert AuditEvent.objects.filter(action="clinic.create", clinic=clinic, actor=user).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "A", "currency": "XYZ"}, "currency"),
        ({"name": "A", "currency": "usd"}, "currency"),
        ({"name": ""}, "name"),
        ({"name": "A" * 201}, "name"),
        ({"name": "A\x00B"}, "name"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({"name": "A", "slug": "not a slug"}, "slug"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(as_user, make_user, payload, field):
    response = as_user(make_user()).post(reverse("clinic-list"), payload)
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert field in response.data["fields"]
    assert not Clinic.objects.exists()
    assert not Membership.objects.exists()


def test_create_with_a_taken_slug_is_409(as_user, clinic, make_user):
    response = as_user(make_user()).post(reverse("clinic-list"), {"name": "Copy", "slug": clinic.slug})
    assert response.status_code == 409
    assert response.data["code"] == "slug_taken"
    assert Clinic.objects.count() == 1


def test_a_body_that_is_not_json_is_400(as_user, make_user):
    response = as_user(make_user()).post(reverse("clinic-list"), "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.data["code"] == "parse_error"


def test_another_clinics_record_looks_like_a_missing_one(as_user, clinic, other_clinic):
    client = as_user(clinic.staff[Role.OWNER])
    answers = [client.get(url) for url in (clinic_url(other_clinic), reverse("clinic-detail", args=[uuid.uuid4()]))]
    assert [(a.status_code, a.data["code"]) for a in answers] == [(404, "not_found")] * 2


def test_settings_updates_are_audited_with_their_changes(as_user, clinic):
    role = Role.ADMIN  # one permitted role; tests/test_personas.py covers the others
    response = as_user(clinic.staff[role]).patch(clinic_url(clinic), {"name": "Riverside North", "currency": "CHF"})
    assert response.status_code == 200
    clinic.refresh_from_db()
    assert (clinic.name, clinic.currency) == ("Riverside North", "CHF")
    event = AuditEvent.objects.get(action="clinic.update", clinic=clinic)
    assert event.changes == {"name": "Riverside North", "currency": "CHF"}


def test_update_with_bad_time_zone_changes_nothing(as_user, clinic):
    response = as_user(clinic.staff[Role.OWNER]).patch(clinic_url(clinic), {"time_zone": "Nowhere/Else"})
    assert response.status_code == 400
    clinic.refresh_from_db()
    assert clinic.time_zone == "Europe/Berlin"


def test_owners_and_admins_set_the_legal_details_invoices_print(as_user, clinic):
    details = {
        "legal_name": "Riverside Family Clinic MVZ GmbH",
        "tax_number": "DE 123456789",
        "locale": "de-DE",
        "address": "Hauptstraße 5\n10827 Berlin",
    }
    for role in (Role.OWNER, Role.ADMIN):  # the other roles: tests/test_personas.py (403, nothing changed)
        response = as_user(clinic.staff[role]).patch(clinic_url(clinic), details)
        assert response.status_code == 200
        assert {name: response.data[name] for name in details} == details
    clinic.refresh_from_db()
    assert (clinic.legal_name, clinic.tax_number, clinic.locale) == (
        "Riverside Family Clinic MVZ GmbH",
        "DE 123456789",
        "de-DE",
    )
    read = as_user(clinic.staff[Role.RECEPTIONIST]).get(clinic_url(clinic))
    assert {name: read.data[name] for name in details} == details  # what every invoice prints: no secret


def test_a_new_clinic_may_bring_its_legal_details(as_user, make_user):
    body = {"name": "Praxis Nord", "legal_name": "Praxis Nord GbR", "tax_number": "12/345/67890", "locale": "de-AT"}
    response = as_user(make_user()).post(reverse("clinic-list"), body)
    assert response.status_code == 201
    assert (response.data["legal_name"], response.data["tax_number"], response.data["locale"]) == (
        "Praxis Nord GbR",
        "12/345/67890",
        "de-AT",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"locale": "xx-YY"}, "locale"),
        ({"locale": "de_DE"}, "locale"),
        ({"locale": "klingon"}, "locale"),
        ({"tax_number": "DE\x00123"}, "tax_number"),
        ({"tax_number": "1" * 41}, "tax_number"),
        ({"legal_name": "GmbH\nInjected"}, "legal_name"),
        ({"legal_name": "A" * 201}, "legal_name"),
    ],
)
def test_bad_legal_details_are_400_and_change_nothing(as_user, clinic, payload, field):
    def details():
        clinic.refresh_from_db()
        return (clinic.name, clinic.legal_name, clinic.tax_number, clinic.locale)

    before = details()
    response = as_user(clinic.staff[Role.OWNER]).patch(clinic_url(clinic), {"name": "Changed", **payload})
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert field in response.data["fields"]
    assert details() == before
    assert not AuditEvent.objects.filter(action="clinic.update").exists()


def test_clearing_the_locale_returns_to_neutral_formats(as_user, clinic):
    clinic.locale = "de-DE"
    clinic.save()
    response = as_user(clinic.staff[Role.OWNER]).patch(clinic_url(clinic), {"locale": ""})
    assert (response.status_code, response.data["locale"]) == (200, "")


def test_put_and_delete_are_not_offered(as_user, clinic):
    client = as_user(clinic.staff[Role.OWNER])
    assert client.put(clinic_url(clinic), {"name": "x"}).status_code == 405
    response = client.delete(clinic_url(clinic))
    assert response.status_code == 405
    assert response.data["code"] == "method_not_allowed"


# --- members -------------------------------------------------------------------


def test_the_member_list_shows_every_role(as_user, clinic):
    role = Role.OWNER  # one permitted role; tests/test_personas.py covers the others
    response = as_user(clinic.staff[role]).get(members_url(clinic))
    assert response.status_code == 200
    assert {m["role"] for m in response.data["results"]} == {r.value for r in Role}


def test_another_clinics_member_under_my_clinics_url_is_404(as_user, clinic, other_clinic):
    client = as_user(clinic.staff[Role.OWNER])
    target = membership(other_clinic, Role.BILLING)
    assert client.patch(member_url(clinic, target), {"role": "admin"}).status_code == 404
    assert client.delete(member_url(clinic, target)).status_code == 404
    target.refresh_from_db()
    assert target.role == Role.BILLING


def test_members_cannot_be_added_without_their_consent(as_user, clinic, make_user):
    newcomer = make_user()
    response = as_user(clinic.staff[Role.OWNER]).post(members_url(clinic), {"email": newcomer.email, "role": "admin"})
    assert response.status_code == 405  # invitations instead (test_invitations.py)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_admin_cannot_grant_change_or_remove_the_owner_role(as_user, clinic, make_user):
    client = as_user(clinic.staff[Role.ADMIN])
    invite = reverse("clinic-invitations", args=[clinic.pk])
    assert client.post(invite, {"email": make_user().email, "role": "owner"}).status_code == 403
    owner = membership(clinic, Role.OWNER)
    assert client.patch(member_url(clinic, owner), {"role": "billing"}).status_code == 403
    assert client.delete(member_url(clinic, owner)).status_code == 403
    billing = membership(clinic, Role.BILLING)
    assert client.patch(member_url(clinic, billing), {"role": "owner"}).status_code == 403
    owner.refresh_from_db()
    billing.refresh_from_db()
    assert (owner.role, billing.role) == (Role.OWNER, Role.BILLING)


def test_admin_changes_and_removes_non_owners(as_user, clinic):
    client = as_user(clinic.staff[Role.ADMIN])
    billing = membership(clinic, Role.BILLING)
    response = client.patch(member_url(clinic, billing), {"role": "receptionist"})
    assert response.status_code == 200
    assert response.data["role"] == "receptionist"
    event = AuditEvent.objects.get(action="membership.change_role")
    assert event.changes["role"] == {"from": "billing", "to": "receptionist"}
    assert client.delete(member_url(clinic, billing)).status_code == 204
    assert not Membership.objects.filter(pk=billing.pk).exists()
    assert AuditEvent.objects.filter(action="membership.remove").exists()


def test_owner_promotes_another_owner_then_may_step_down(as_user, clinic):
    client = as_user(clinic.staff[Role.OWNER])
    mine = membership(clinic, Role.OWNER)
    assert client.patch(member_url(clinic, mine), {"role": "admin"}).status_code == 409  # last owner
    admin = membership(clinic, Role.ADMIN)
    assert client.patch(member_url(clinic, admin), {"role": "owner"}).status_code == 200
    assert client.patch(member_url(clinic, mine), {"role": "admin"}).status_code == 200


def test_the_last_owner_cannot_leave_or_be_removed(as_user, clinic):
    owner = clinic.staff[Role.OWNER]
    client = as_user(owner)
    response = client.post(reverse("clinic-leave", args=[clinic.pk]))
    assert response.status_code == 409
    assert response.data["code"] == "last_owner"
    assert client.delete(member_url(clinic, membership(clinic, Role.OWNER))).status_code == 409
    assert Membership.objects.filter(clinic=clinic, user=owner, role=Role.OWNER).exists()


def test_leaving_is_audited(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    response = as_user(clinic.staff[role]).post(reverse("clinic-leave", args=[clinic.pk]))
    assert response.status_code == 204
    assert not Membership.objects.filter(clinic=clinic, user=clinic.staff[role]).exists()
    assert AuditEvent.objects.filter(action="membership.leave", clinic=clinic).exists()


def test_member_list_runs_a_constant_number_of_queries(as_user, clinic, make_user, django_assert_max_num_queries):
    client = as_user(clinic.staff[Role.OWNER])
    for _ in range(30):
        MembershipFactory(clinic=clinic, role=Role.PRACTITIONER)
    with django_assert_max_num_queries(4):
        response = client.get(members_url(clinic), {"page_size": 50})
    assert len(response.data["results"]) == 35
