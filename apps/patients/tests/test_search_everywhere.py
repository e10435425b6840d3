"""Name search keeps its promise on every database: the Python ranking (SQLite's path) is run here
on whatever database the suite uses, by forcing it; phones are tried before MRNs."""

import pytest
from django.urls import reverse

from apps.core.roles import Role
from apps.patients.models import Patient
from apps.patients.search import name_score, rank_names
from apps.patients.selectors import patient_search
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
LIST = reverse("patient-list")
NAMES = [
    ("Jennifer", "Becker"),
    ("John", "Smith"),
    ("Joan", "Smithers"),
    ("José", "García"),
    ("Jonas", "Schmidt"),
    ("Дмитрий", "Иванов"),
    ("Anna", "Meyer"),
]


@pytest.fixture
def people(clinic):
    return {f"{g} {f}": PatientFactory(clinic=clinic, given_name=g, family_name=f) for g, f in NAMES}


def python_search(clinic, text):
    found = patient_search(queryset=Patient.objects.filter(clinic=clinic), text=text, regions=set(), engine="python")
    return [f"{p.given_name} {p.family_name}" for p in found]


@pytest.mark.parametrize(
    ("text", "best"),
    [
        ("Jenifer", "Jennifer Becker"),
        ("Beckr", "Jennifer Becker"),
        ("Jenifer Beker", "Jennifer Becker"),
        ("jon smyth", "John Smith"),
        ("smith john", "John Smith"),
        ("Jhon Smiht", "John Smith"),
        ("jose garcia", "José García"),
        ("GARCIA", "José García"),
        ("smithers", "Joan Smithers"),
        ("дмитрий иванов", "Дмитрий Иванов"),
        ("Schmitt", "Jonas Schmidt"),
        ("jo", "José García"),  # two letters: prefixes; equal scores in family-name order
    ],
)
def test_the_python_ranking_finds_typos_best_first(clinic, people, text, best):
    results = python_search(clinic, text)
    assert results, f"nothing found for {text!r}"
    assert results[0] == best
    assert "Anna Meyer" not in results


def test_unrelated_names_do_not_match_and_the_ranking_is_bounded():
    assert name_score("jenifer", "anna meyer") is None
    candidates = [(n, "jennifer becker") for n in range(500)] + [("x", "anna meyer")]
    ranked = rank_names("Jenifer", candidates, limit=200)
    assert len(ranked) == 200
    assert "x" not in {pk for pk, _ in ranked}


@pytest.mark.parametrize("text", ["Jenifer", "Beckr", "Jenifer Beker"])
def test_typo_search_through_the_api_on_this_database(as_user, clinic, people, text):
    """The same typos through the API: pg_trgm on PostgreSQL, the Python ranking on SQLite."""
    response = as_user(clinic.staff[Role.RECEPTIONIST]).get(LIST, {"search": text})
    assert response.status_code == 200, response.data
    assert [f"{p['given_name']} {p['family_name']}" for p in response.data["results"]][:1] == ["Jennifer Becker"]


def test_a_short_number_is_tried_as_a_phone_before_an_mrn(as_user, clinic):
    clinic.country = "IS"  # Icelandic numbers have 7 digits, as long as an MRN's
    clinic.save()
    by_phone = PatientFactory(clinic=clinic, given_name="Sigrid", family_name="Jonsdottir", phone="+3545512345")
    by_mrn = PatientFactory(clinic=clinic, given_name="Other", family_name="Person")
    Patient.objects.filter(pk=by_mrn.pk).update(mrn="P5512345")
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    assert [p["id"] for p in client.get(LIST, {"search": "551 2345"}).data["results"]] == [str(by_phone.pk)]
    # No patient has the phone: the digits are read as an MRN.
    Patient.objects.filter(pk=by_phone.pk).update(phone="+3545519999")
    assert [p["id"] for p in client.get(LIST, {"search": "5512345"}).data["results"]] == [str(by_mrn.pk)]


def test_phone_shaped_text_that_is_neither_finds_nothing(as_user, clinic, people):
    response = as_user(clinic.staff[Role.RECEPTIONIST]).get(LIST, {"search": "123456789012"})
    assert response.status_code == 200
    assert response.data["results"] == []
