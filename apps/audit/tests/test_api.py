"""audit-events/: owners and admins of the clinic only.

Anonymous, another clinic's ``?clinic=`` and the refused roles' 403 are in tests/test_personas.py.
"""

import pytest
from django.urls import reverse

from apps.audit.services import audit_record
from apps.core.roles import ALL_ROLES, READ, Role, allowed_roles

pytestmark = pytest.mark.django_db
URL = reverse("audit-event-list")


READERS = sorted(allowed_roles("audit", READ))


@pytest.mark.parametrize("role", READERS)
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


@pytest.mark.parametrize("role", sorted(ALL_ROLES - set(READERS)))
def test_other_roles_see_nothing_in_the_unfiltered_list(as_user, clinic, role):
    audit_record(action="a", resource_type="t", clinic_id=clinic.pk)
    assert as_user(clinic.staff[role]).get(URL).data["results"] == []


def test_the_list_is_read_only(as_user, clinic):
    response = as_user(clinic.staff[Role.OWNER]).post(URL, {"action": "forged"})
    assert response.status_code == 405
