"""Concurrent registrations on PostgreSQL never share an MRN or slip past the duplicate check."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from apps.core.errors import ConflictError
from apps.core.roles import Role
from apps.patients.models import Patient
from apps.patients.services import patient_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()

    return run


def test_concurrent_creates_get_distinct_gapless_mrns(clinic):
    owner = clinic.staff[Role.OWNER]

    @_in_thread
    def create(n):
        data = {"given_name": f"Given{n}", "family_name": f"Family{n}", "date_of_birth": f"19{50 + n}-01-01"}
        return patient_create(actor=owner, role=Role.OWNER, clinic=clinic, data=data).mrn

    with ThreadPoolExecutor(max_workers=10) as pool:
        mrns = list(pool.map(create, range(20)))
    assert len(set(mrns)) == 20
    assert sorted(mrns) == [f"P{n:07d}" for n in range(1, 21)]
    assert Patient.objects.count() == 20


def test_concurrent_registrations_of_one_person_let_exactly_one_through(clinic):
    owner = clinic.staff[Role.OWNER]

    @_in_thread
    def create(_):
        data = {"given_name": "Maria", "family_name": "Lopez", "date_of_birth": "1984-03-07"}
        try:
            patient_create(actor=owner, role=Role.OWNER, clinic=clinic, data=data)
            return "created"
        except ConflictError:
            return "duplicate"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert outcomes.count("created") == 1
    assert outcomes.count("duplicate") == 7
    assert Patient.objects.count() == 1
