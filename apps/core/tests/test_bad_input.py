"""Bad input answers a 4xx JSON error and writes nothing: the eight causes a fuzz of the live API found."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.patients.models import Patient
from apps.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

HUGE = 3 * 1024 * 1024


def _error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture
def owner_api(as_user, clinic):
    return as_user(clinic.staff["owner"])


def _patient_body(clinic, **extra):
    return {
        "clinic": str(clinic.pk),
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": "1990-01-01",
        "sex": "female",
        **extra,
    }


@pytest.mark.parametrize(
    "path", ["/api/v1/patients/", "/api/v1/appointments/", "/api/v1/invoices/", "/api/v1/auth/token/"]
)
def test_a_body_over_the_upload_limit_is_413_and_writes_nothing(owner_api, clinic, path):
    body = json.dumps(_patient_body(clinic, notes="x" * HUGE))
    before = (Patient.objects.count(), Appointment.objects.count())
    response = owner_api.post(path, body, content_type="application/json")
    _error(response, 413, "request_too_large")
    assert (Patient.objects.count(), Appointment.objects.count()) == before


@pytest.mark.parametrize("depth", [64, 100_000])
def test_deeply_nested_json_is_400_and_writes_nothing(owner_api, clinic, depth):
    nested = "[" * depth + "]" * depth
    body = json.dumps(_patient_body(clinic))[:-1] + f', "address_line": {nested}}}'
    response = owner_api.post("/api/v1/patients/", body, content_type="application/json")
    _error(response, 400, "parse_error")
    assert not Patient.objects.exists()


def test_json_within_the_depth_limit_still_parses(owner_api, clinic):
    response = owner_api.post("/api/v1/patients/", _patient_body(clinic), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/patients/?search=ad%00a",
        "/api/v1/audit-events/?resource_type=%00",
        "/api/v1/audit-events/?action=patient.read%00",
        "/api/v1/clinics/?unknown%00=1",
        "/api/v1/appointments/?status=booked%00",
    ],
)
def test_nul_in_any_query_parameter_is_400(owner_api, query):
    _error(owner_api.get(query), 400, "invalid_query")


@pytest.mark.parametrize("page", [str(10**20), str(2**63), "1000001"])
def test_a_page_beyond_the_last_possible_is_400(owner_api, page):
    body = _error(owner_api.get(f"/api/v1/patients/?page={page}"), 400)
    assert "page" in body["fields"]


DATES = ["9999-12-31", "0000-01-01", "0001-01-01"]


@pytest.mark.parametrize("day", DATES)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_out_of_range_dates_in_appointment_and_calendar_filters_are_400(owner_api, clinic, day, name):
    for path in ("/api/v1/appointments/", "/api/v1/appointments/calendar.ics/", "/api/v1/availability-exceptions/"):
        body = _error(owner_api.get(path, {"clinic": str(clinic.pk), name: day}), 400)
        assert name in body["fields"], path


@pytest.mark.parametrize("day", DATES)
def test_out_of_range_dates_in_slots_and_the_revenue_report_are_400(owner_api, clinic, day):
    practitioner = clinic.staff["practitioner"]
    slots = {"clinic": str(clinic.pk), "practitioner": str(practitioner.pk), "date_from": day, "date_to": day}
    assert "date_from" in _error(owner_api.get("/api/v1/slots/", slots), 400)["fields"]
    report = owner_api.get("/api/v1/reports/revenue/", {"clinic": str(clinic.pk), "from": day, "to": day})
    assert {"from", "to"} & set(_error(report, 400)["fields"])


@pytest.mark.parametrize("offset", ["+25:00", "-24:00", "+99:99"])
def test_an_impossible_utc_offset_is_400_and_books_nothing(owner_api, clinic, offset):
    from apps.patients.tests.factories import PatientFactory

    patient = PatientFactory(clinic=clinic)
    start = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT10:00:00")
    body = {
        "clinic": str(clinic.pk),
        "patient": str(patient.pk),
        "practitioner": str(clinic.staff["practitioner"].pk),
        "start": start + offset,
        "end": start.replace("T10:", "T11:") + offset,
    }
    assert "start" in _error(owner_api.post("/api/v1/appointments/", body, format="json"), 400)["fields"]
    assert not Appointment.objects.exists()
    listed = owner_api.get("/api/v1/appointments/", {"date_from": start + offset})
    assert "date_from" in _error(listed, 400)["fields"]


def _body_operations():
    from apps.core.tests.contract import live_schema

    for path, item in live_schema()["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                yield method.upper(), path


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (json.dumps({"notes": "x" * HUGE}), 413, "request_too_large"),
        ("[" * 5000 + "]" * 5000, 400, "parse_error"),
    ],
    ids=["oversized", "nested"],
)
def test_every_route_with_a_body_refuses_it_as_json_before_writing(owner_api, clinic, payload, status, code):
    """Each POST/PATCH of the schema: a collection route answers the refusal; a detail route 404s or refuses."""
    from django.apps import apps

    from apps.audit.models import AuditEvent

    # The audit trail is the one table a refusal may add to: a 404 on a patient route is
    # itself recorded (a denied read, ASVS 16.3.2). Everything else stays as it was.
    tables = [model for model in apps.get_models() if model is not AuditEvent]
    counts = {model: model.objects.count() for model in tables}
    operations = list(_body_operations())
    assert len(operations) > 20
    for method, path in operations:
        url = path.replace("{clinic_pk}", str(clinic.pk)).replace("{id}", "00000000-0000-7000-8000-000000000000")
        response = owner_api.generic(method, url, payload, content_type="application/json")
        expected = {status} if "{id}" not in path else {status, 404}
        assert response.status_code in expected, (method, path, response.status_code)
        body = response.json()
        assert body["code"] == code or response.status_code == 404, (method, path, body)
    assert {model: model.objects.count() for model in tables} == counts


# --- the waitlist's body routes (apps/waitlist) ---------------------------------------------------


def _waitlist_body(clinic, **extra):
    from apps.patients.tests.factories import PatientFactory

    today = timezone.now().date()
    return {
        "clinic": str(clinic.pk),
        "patient": str(PatientFactory(clinic=clinic).pk),
        "date_from": (today + timedelta(days=1)).isoformat(),
        "date_to": (today + timedelta(days=10)).isoformat(),
        **extra,
    }


WAITLIST_BAD = [
    ({"date_to": "2000-01-01"}, "date_to"),  # before date_from, and over
    ({"date_from": "9999-12-31"}, "date_from"),
    ({"date_to": (timezone.now().date() + timedelta(days=800)).isoformat()}, "date_to"),  # over a year
    ({"weekdays": [7]}, "weekdays"),
    ({"weekdays": "monday"}, "weekdays"),
    ({"weekdays": list(range(8))}, "weekdays"),
    ({"earliest_time": "12:00", "latest_time": "09:00"}, "latest_time"),
    ({"earliest_time": "25:00"}, "earliest_time"),
    ({"priority": 9}, "priority"),
    ({"note": "a\x00b"}, "note"),
    ({"colour": "red"}, "colour"),
    ({"patient": "00000000-0000-7000-8000-000000000000"}, "patient"),
    ({"practitioner": "00000000-0000-7000-8000-000000000000"}, "practitioner"),
]


@pytest.mark.parametrize(("extra", "field"), WAITLIST_BAD, ids=[field for _, field in WAITLIST_BAD])
def test_bad_waitlist_entries_are_400_and_write_nothing(owner_api, clinic, extra, field):
    from apps.waitlist.models import WaitlistEntry
    from apps.waitlist.tests.factories import WaitlistEntryFactory

    body = _error(owner_api.post("/api/v1/waitlist/", _waitlist_body(clinic, **extra), format="json"), 400)
    assert field in body["fields"], body
    assert not WaitlistEntry.objects.exists()
    entry = WaitlistEntryFactory(clinic=clinic)
    change = {k: v for k, v in extra.items() if k != "patient"} or {"patient": extra["patient"]}
    body = _error(owner_api.patch(f"/api/v1/waitlist/{entry.pk}/", change, format="json"), 400)
    assert field in body["fields"], body
    assert WaitlistEntry.objects.get().updated_at == entry.updated_at


def test_an_offer_confirmed_twice_is_409_and_writes_nothing(owner_api, clinic):
    from apps.audit.models import AuditEvent
    from apps.scheduling.tests.factories import days_ahead, local_at, open_all_week
    from apps.waitlist.tests.factories import WaitlistOfferFactory

    practitioner = clinic.staff["practitioner"]
    open_all_week(clinic, practitioner)
    offer = WaitlistOfferFactory(
        entry__clinic=clinic, practitioner=practitioner, start=local_at(clinic, days_ahead(3), "10:00")
    )
    assert owner_api.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/").status_code == 200
    before = (Appointment.objects.count(), AuditEvent.objects.count())
    _error(owner_api.post(f"/api/v1/waitlist-offers/{offer.pk}/confirm/"), 409, "offer_not_pending")
    assert (Appointment.objects.count(), AuditEvent.objects.count()) == before
