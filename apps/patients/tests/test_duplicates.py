"""Likely duplicates are refused with 409 and candidates; an allowed role may override, audited."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.roles import ALL_ROLES, Role, allowed_roles
from apps.patients.models import Patient
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
LIST = reverse("patient-list")


@pytest.fixture
def existing(clinic):
    return PatientFactory(
        clinic=clinic, given_name="Maria", family_name="Lopez", date_of_birth="1984-03-07", phone="+49301234567"
    )


OVERRIDERS = sorted(allowed_roles("patients", "override_duplicate"))


def body(clinic, **overrides):
    data = {
        "clinic": str(clinic.pk),
        "given_name": "María",
        "family_name": "López",
        "date_of_birth": "1984-03-07",
        "phone": "+49 30 9999999",
    }
    data.update(overrides)
    return data


def test_similar_name_and_same_birth_date_is_409_with_candidates(as_user, clinic, existing):
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(LIST, body(clinic))
    assert response.status_code == 409
    assert response.data["code"] == "possible_duplicate"
    assert response.data["candidates"] == [
        {
            "id": str(existing.pk),
            "given_name": "Maria",
            "family_name": "Lopez",
            "date_of_birth": "1984-03-07",
            "mrn": existing.mrn,
        }
    ]
    assert Patient.objects.count() == 1


def test_same_phone_and_birth_date_is_409_whatever_the_name(as_user, clinic, existing):
    response = as_user(clinic.staff[Role.OWNER]).post(
        LIST, body(clinic, given_name="Completely", family_name="Different", phone="+49 30 1234567")
    )
    assert response.status_code == 409
    assert Patient.objects.count() == 1


def test_same_name_other_birth_date_or_other_clinic_is_fine(as_user, clinic, other_clinic, existing):
    client = as_user(clinic.staff[Role.OWNER])
    assert client.post(LIST, body(clinic, date_of_birth="1985-03-07")).status_code == 201
    other = as_user(other_clinic.staff[Role.OWNER]).post(LIST, body(other_clinic))
    assert other.status_code == 201


@pytest.mark.parametrize("role", OVERRIDERS)
def test_allowed_roles_override_with_a_reason_and_it_is_audited(as_user, clinic, existing, role):
    response = as_user(clinic.staff[role]).post(LIST, body(clinic, override_duplicate_reason="Twins, checked ID"))
    assert response.status_code == 201, response.data
    event = AuditEvent.objects.get(action="patient.duplicate_override")
    assert event.changes == {"reason": "Twins, checked ID", "candidates": [str(existing.pk)]}
    assert event.actor == clinic.staff[role]
    assert "override_duplicate_reason" not in response.data


@pytest.mark.parametrize("role", sorted(ALL_ROLES - set(OVERRIDERS)))
def test_other_roles_cannot_override(as_user, clinic, existing, role):
    response = as_user(clinic.staff[role]).post(LIST, body(clinic, override_duplicate_reason="trust me"))
    assert response.status_code == 403
    assert Patient.objects.count() == 1


def test_an_empty_reason_does_not_override(as_user, clinic, existing):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, body(clinic, override_duplicate_reason=""))
    assert response.status_code == 409


def test_an_update_that_makes_a_duplicate_is_409_and_changes_nothing(as_user, clinic, existing):
    other = PatientFactory(clinic=clinic, given_name="Mario", family_name="Rossi", date_of_birth="1970-01-01")
    url = reverse("patient-detail", args=[other.pk])
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    response = client.patch(url, {"given_name": "Maria", "family_name": "Lopez", "date_of_birth": "1984-03-07"})
    assert response.status_code == 409
    other.refresh_from_db()
    assert other.family_name == "Rossi"
    # An unrelated change of the same record is not checked against itself.
    assert client.patch(reverse("patient-detail", args=[existing.pk]), {"city": "Bonn"}).status_code == 200
    assert client.patch(reverse("patient-detail", args=[existing.pk]), {"given_name": "Marie"}).status_code == 200
