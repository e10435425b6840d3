"""audit-events/: owners and admins of the clinic only."""

import pytest
from django.urls import reverse

from apps.audit.services import audit_record
from apps.core.roles import Role

pytestmark = pytest.mark.django_db
URL = reverse("audit-event-list")


def test_anonymous_is_401(api):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_read_their_clinics_events_only(as_user, clinic, other_clinic, role):
    mine = audit_record(action="x.read", resource_type="thing", resource_id="1", clinic_id=clinic.pk)
    audit_record(action="x.read", resource_type="thing", resource_id="2", clinic_id=other_clinic.pk)
    audit_record(action="auth.login", resource_type="user")  # no clinic: admin site only
    response = as_user(clinic.staff[role]).get(URL)
    assert response.status_code == 200
    assert [e["id"] for e in response.data["results"]] == [str(mine.event_id)]


def test_filters_by_resource(as_user, clinic):
    audit_record(action="a", resource_type="membership", resource_id="m1", clinic_id=clinic.pk)
    wanted = audit_record(action="b", resource_type="clinic", resource_id="c1", clinic_id=clinic.pk)
    response = as_user(clinic.staff[Role.OWNER]).get(
        URL, {"clinic": str(clinic.pk), "resource_type": "clinic", "resource_id": "c1"}
    )
    assert [e["id"] for e in response.data["results"]] == [str(wanted.event_id)]
    assert response.data["results"][0]["action"] == "b"


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.RECEPTIONIST, Role.BILLING])
def test_other_roles_see_nothing(as_user, clinic, role):
    audit_record(action="a", resource_type="t", clinic_id=clinic.pk)
    client = as_user(clinic.staff[role])
    assert client.get(URL).data["results"] == []
    assert client.get(URL, {"clinic": str(clinic.pk)}).status_code == 403


def test_another_clinic_filter_is_404(as_user, clinic, other_clinic):
    response = as_user(clinic.staff[Role.OWNER]).get(URL, {"clinic": str(other_clinic.pk)})
    assert response.status_code == 404


def test_the_list_is_read_only(as_user, clinic):
    response = as_user(clinic.staff[Role.OWNER]).post(URL, {"action": "forged"})
    assert response.status_code == 405
