"""The tenancy mechanism itself: Access, visible_to, requested_clinic, scoped lookups, and core's independence."""

import ast
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError

from apps.core.demo import demo_steps
from apps.core.errors import ApplicationError, ForbiddenError, NotFoundError
from apps.core.models import ClinicOwned
from apps.core.roles import PERMISSIONS, READ, WRITE, Role
from apps.core.tenancy import Access, access_of, clinic_roles, forget_roles, record_by_id, remember_clinic_roles
from apps.patients.models import Patient
from apps.patients.selectors import patient_access_by_id
from apps.patients.tests.factories import PatientFactory

APPS = Path(__file__).resolve().parents[2]
DOMAIN_APPS = sorted(p.name for p in APPS.iterdir() if (p / "apps.py").exists() and p.name != "core")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_nothing_under_core_imports_a_domain_app_not_even_through_get_model():
    for path in (APPS / "core").rglob("*.py"):
        if "tests" in path.parts:
            continue
        for module in imported_modules(path):
            assert not any(module.startswith(f"apps.{app}") for app in DOMAIN_APPS), (path, module)
        assert "get_model(" not in path.read_text(), path


def test_accounts_imports_nothing_of_clinics():
    for path in (APPS / "accounts").rglob("*.py"):
        if "tests" in path.parts:
            continue
        assert not any(m.startswith("apps.clinics") for m in imported_modules(path)), path


def test_every_model_with_a_clinic_uses_the_tenancy_base():
    for model in apps.get_models():
        if model.__module__.startswith("apps.") and any(f.name == "clinic" for f in model._meta.fields):
            assert issubclass(model, ClinicOwned), model


def test_every_app_registers_its_own_demo_step_and_clinics_come_first():
    steps = demo_steps()
    assert steps[0] == "apps.clinics.demo.demo_step"
    assert {"apps.patients.demo.demo_step", "apps.scheduling.demo.demo_step", "apps.billing.demo.demo_step"} <= set(
        steps
    )


@pytest.mark.django_db
def test_clinic_roles_costs_one_query_and_is_cached_until_forgotten(clinic, other_clinic):
    user = clinic.staff[Role.ADMIN]
    with CaptureQueriesContext(connection) as queries:
        assert clinic_roles(user) == {clinic.pk: Role.ADMIN}
        assert clinic_roles(user) == {clinic.pk: Role.ADMIN}
    assert len(queries) == 1
    forget_roles(user)
    remember_clinic_roles(user, {other_clinic.pk: Role.BILLING})
    with CaptureQueriesContext(connection) as queries:
        assert access_of(user).roles == {other_clinic.pk: Role.BILLING}
    assert len(queries) == 0


def test_access_narrows_to_one_clinic_and_answers_404_then_403():
    mine, billing_clinic, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    access = Access(user=None, roles={mine: Role.RECEPTIONIST, billing_clinic: Role.BILLING})
    assert set(access.clinic_ids("patients", WRITE)) == {mine}
    assert set(access.clinic_ids("patients", READ)) == {mine, billing_clinic}
    with pytest.raises(NotFoundError):
        access.require(elsewhere, resource="patients", action=READ)
    with pytest.raises(NotFoundError):
        access.require("not-an-id", resource="patients", action=READ)
    with pytest.raises(ForbiddenError):
        access.require(billing_clinic, resource="patients", action=WRITE)
    with pytest.raises(Exception, match="narrowed"):
        _ = access.role
    narrowed = access.require(str(mine), resource="patients", action=WRITE)
    assert narrowed.clinic_id == mine
    assert narrowed.role == Role.RECEPTIONIST
    assert narrowed.clinic_ids("patients", READ) == [mine]
    assert narrowed.role_in(billing_clinic) is None  # a narrowed access sees one clinic only
    with pytest.raises(NotFoundError):
        narrowed.require(billing_clinic, resource="patients", action=READ)
    assert access.clinic_id is None  # values are immutable: narrowing made a new one


def test_every_resource_in_the_matrix_has_read_and_write():
    for resource, actions in PERMISSIONS.items():
        assert READ in actions, resource
        assert WRITE in actions, resource


@pytest.mark.django_db
def test_visible_to_keeps_the_rows_of_clinics_where_the_role_allows_the_action(clinic, other_clinic):
    mine, theirs = PatientFactory(clinic=clinic), PatientFactory(clinic=other_clinic)
    receptionist = access_of(clinic.staff[Role.RECEPTIONIST])
    assert list(Patient.objects.visible_to(receptionist, "patients", READ)) == [mine]
    assert list(Patient.objects.visible_to(receptionist, "patients", "export")) == []
    assert list(Patient.objects.visible_to(clinic.staff[Role.OWNER], "patients", "export")) == [mine]
    assert theirs not in Patient.objects.visible_to(receptionist, "patients", READ)


@pytest.mark.django_db
def test_record_by_id_gives_one_answer_for_missing_and_another_clinics(clinic, other_clinic):
    mine, theirs = PatientFactory(clinic=clinic), PatientFactory(clinic=other_clinic)
    access = access_of(clinic.staff[Role.BILLING])
    queryset = Patient.objects.all()
    assert record_by_id(queryset, access, mine.pk, resource="patients") == mine
    answers = []
    for record_id in (theirs.pk, uuid.uuid4(), "junk"):
        with pytest.raises(NotFoundError) as not_found:
            record_by_id(queryset, access, record_id, resource="patients")
        with pytest.raises(ValidationError) as bad_body:
            record_by_id(queryset, access, record_id, resource="patients", field="patient", noun="patient")
        answers.append((str(not_found.value), bad_body.value.detail))
    assert len(set(map(str, answers))) == 1
    # Readable, but billing may not write patients: 403, not a pretended 404.
    with pytest.raises(ForbiddenError):
        record_by_id(queryset, access, mine.pk, resource="patients", action=WRITE)


@pytest.mark.django_db
def test_patient_access_by_id_makes_the_archived_rule_explicit(clinic):
    archived = PatientFactory(clinic=clinic, active=False)
    access = access_of(clinic.staff[Role.RECEPTIONIST])
    assert patient_access_by_id(access, archived.pk, require_active=False) == archived
    with pytest.raises(ApplicationError) as refused:
        patient_access_by_id(access, archived.pk, require_active=True)
    assert refused.value.code == "patient_archived"
    assert refused.value.fields == {"patient": ["This patient is archived."]}


@pytest.mark.django_db
def test_requested_clinic_is_checked_for_every_list(as_user, clinic, other_clinic):
    PatientFactory(clinic=clinic)
    owner = as_user(clinic.staff[Role.OWNER])
    assert owner.get("/api/v1/patients/", {"clinic": "nope"}).json()["fields"] == {"clinic": ["Must be a valid id."]}
    assert owner.get("/api/v1/patients/", {"clinic": str(other_clinic.pk)}).status_code == 404
    assert owner.get("/api/v1/audit-events/", {"clinic": str(other_clinic.pk)}).status_code == 404
    assert len(owner.get("/api/v1/patients/", {"clinic": str(clinic.pk)}).json()["results"]) == 1
    billing = as_user(clinic.staff[Role.BILLING])  # the same client, now signed in as billing
    assert billing.get("/api/v1/audit-events/", {"clinic": str(clinic.pk)}).status_code == 403


@pytest.mark.django_db
def test_list_filters_validate_the_query_string(as_user, clinic):
    for name in ("Adams", "Baker", "Clark"):
        PatientFactory(clinic=clinic, family_name=name)
    client = as_user(clinic.staff[Role.OWNER])
    names = [p["family_name"] for p in client.get("/api/v1/patients/", {"ordering": "-name"}).json()["results"]]
    assert names == ["Clark", "Baker", "Adams"]
    for params in ({"ordering": "mrn"}, {"include_archived": "maybe"}, {"search": "a\x00b"}, {"actor": "x"}):
        path = "/api/v1/audit-events/" if "actor" in params else "/api/v1/patients/"
        response = client.get(path, params)
        assert response.status_code == 400, params
        assert set(response.json()["fields"]) == set(params), params
