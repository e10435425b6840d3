"""Patients API: bad input, archive, duplicates, audited reads (roles and tenancy: tests/test_personas.py)."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.roles import Role, allowed_roles
from apps.patients.models import Patient
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
LIST = reverse("patient-list")


def detail(patient):
    return reverse("patient-detail", args=[patient.pk])


def payload(target_clinic, **overrides):
    body = {
        "clinic": str(target_clinic.pk),
        "given_name": "Maria",
        "family_name": "Lopez",
        "date_of_birth": "1984-03-07",
        "sex": "female",
        "phone": "+49 30 1234567",
    }
    body.update(overrides)
    return body


def test_a_registration_gets_a_generated_mrn_and_a_normalised_phone(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    response = as_user(clinic.staff[role]).post(LIST, payload(clinic))
    assert response.status_code == 201, response.data
    assert response.data["mrn"] == "P0000001"
    assert response.data["phone"] == "+49301234567"
    patient = Patient.objects.get()
    assert patient.created_by == clinic.staff[role]
    assert AuditEvent.objects.filter(action="patient.create", resource_id=str(patient.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"given_name": "x" * 10_000}, "given_name"),
        ({"family_name": "Lo\x00pez"}, "family_name"),
        ({"family_name": "Lo\x07pez"}, "family_name"),
        ({"date_of_birth": "1984-02-30"}, "date_of_birth"),
        ({"date_of_birth": "07/03/1984"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+49 30 12"}, "phone"),
        ({"phone": "call me maybe"}, "phone"),
        ({"sex": "yes"}, "sex"),
        ({"email": "not-an-email"}, "email"),
        ({"country": "Germany"}, "country"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"mrn": "P1234567"}, "mrn"),
        ({"clinic": "not-a-uuid"}, "clinic"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(as_user, clinic, overrides, field):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, **overrides))
    assert response.status_code == 400, response.data
    assert response.data["code"] == "invalid"
    assert field in response.data["fields"]
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.create").exists()


def test_local_phone_numbers_are_read_in_the_clinics_country(as_user, clinic):
    clinic.country = "DE"
    clinic.save()
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, phone="030 7654321"))
    assert response.status_code == 201, response.data
    assert response.data["phone"] == "+49307654321"


def test_a_read_is_audited(as_user, clinic):
    role = Role.BILLING  # one permitted role; tests/test_personas.py covers the others
    patient = PatientFactory(clinic=clinic)
    response = as_user(clinic.staff[role]).get(detail(patient))
    assert response.status_code == 200
    assert response.data["mrn"] == patient.mrn
    event = AuditEvent.objects.get(action="patient.read")
    assert (event.actor, event.resource_id, event.clinic_id) == (clinic.staff[role], str(patient.pk), clinic.pk)


def test_lists_are_the_union_of_my_clinics_and_filter_by_clinic(as_user, clinic, other_clinic):
    from apps.clinics.tests.factories import MembershipFactory

    mine, theirs, hidden = PatientFactory(clinic=clinic), PatientFactory(clinic=other_clinic), PatientFactory()
    user = clinic.staff[Role.RECEPTIONIST]
    MembershipFactory(user=user, clinic=other_clinic, role=Role.BILLING)
    client = as_user(user)
    ids = {p["id"] for p in client.get(LIST).data["results"]}
    assert ids == {str(mine.pk), str(theirs.pk)}
    assert str(hidden.pk) not in ids
    only = client.get(LIST, {"clinic": str(clinic.pk)}).data["results"]
    assert [p["id"] for p in only] == [str(mine.pk)]


def test_an_update_of_demographics_the_audit_names_fields_only(as_user, clinic):
    role = Role.PRACTITIONER  # one permitted role; tests/test_personas.py covers the others
    patient = PatientFactory(clinic=clinic, city="Berlin")
    response = as_user(clinic.staff[role]).patch(detail(patient), {"city": "Potsdam", "phone": "+49 331 7654321"})
    assert response.status_code == 200, response.data
    patient.refresh_from_db()
    assert (patient.city, patient.phone) == ("Potsdam", "+493317654321")
    event = AuditEvent.objects.get(action="patient.update")
    assert event.changes == {"fields": ["city", "phone"]}
    assert "Potsdam" not in str(event.changes)


def test_update_refuses_bad_input_and_changes_nothing(as_user, clinic):
    patient = PatientFactory(clinic=clinic, given_name="Ann")
    client = as_user(clinic.staff[Role.OWNER])
    for body in ({"given_name": ""}, {"date_of_birth": "tomorrow"}, {"mrn": "P9"}, {"clinic": str(clinic.pk)}):
        assert client.patch(detail(patient), body).status_code == 400, body
    patient.refresh_from_db()
    assert patient.given_name == "Ann"


def test_an_archive_keeps_the_record_and_archived_patients_leave_the_list(as_user, clinic):
    role = Role.ADMIN  # one permitted role; tests/test_personas.py covers the others
    patient = PatientFactory(clinic=clinic)
    client = as_user(clinic.staff[role])
    assert client.delete(detail(patient)).status_code == 204
    patient.refresh_from_db()
    assert not patient.active
    assert patient.archived_at is not None
    assert Patient.objects.filter(pk=patient.pk).exists()  # never deleted
    assert client.get(LIST).data["results"] == []
    archived = client.get(LIST, {"include_archived": "true"}).data["results"]
    assert [p["id"] for p in archived] == [str(patient.pk)]


@pytest.mark.parametrize(
    ("role", "status"), [(role, 200 if role in allowed_roles("patients", "read_archived") else 403) for role in Role]
)
def test_who_may_list_archived_patients(as_user, clinic, role, status):
    PatientFactory(clinic=clinic, active=False)
    assert as_user(clinic.staff[role]).get(LIST, {"include_archived": "true"}).status_code == status


def test_a_list_writes_one_audit_event_per_clinic_with_the_returned_ids(as_user, clinic):
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    response = as_user(clinic.staff[Role.BILLING]).get(LIST, {"page_size": 2})
    assert len(response.data["results"]) == 2
    event = AuditEvent.objects.get(action="patient.list")
    assert event.clinic_id == clinic.pk
    assert event.changes["ids"] == [p["id"] for p in response.data["results"]]
    assert set(event.changes["ids"]) <= {str(p.pk) for p in patients}


def test_a_search_is_audited_with_its_query(as_user, clinic):
    PatientFactory(clinic=clinic, given_name="Maria", family_name="Lopez", search_name="maria lopez")
    as_user(clinic.staff[Role.OWNER]).get(LIST, {"search": "lopez"})
    event = AuditEvent.objects.get(action="patient.search")
    assert event.changes["query"] == {"search": "lopez"}
    assert len(event.changes["ids"]) == 1


@pytest.mark.parametrize("search", ["", "smith", "P0000001", "+49 30 5000001", "1980-01-01"])
def test_list_and_search_issue_the_same_few_queries_whatever_the_page_size(as_user, clinic, search):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(110):
        PatientFactory(clinic=clinic, family_name="Smith", search_name="anna smith", date_of_birth="1980-01-01")
    client = as_user(clinic.staff[Role.OWNER])
    counts = {}
    for page_size in (20, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"page_size": page_size, "search": search})
        assert response.status_code == 200
        counts[page_size] = len(queries)
    # memberships, [search setting], page, audit: savepoint, chain lock, previous hash, insert, release
    assert counts[20] == counts[100]
    assert counts[20] <= 10
