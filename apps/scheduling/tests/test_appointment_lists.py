"""Appointment lists: filters, ordering, a constant number of queries.

Roles, anonymous callers and other clinics: tests/test_personas.py.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.roles import Role
from apps.core.tests.statements import counted
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
LIST = reverse("appointment-list")


def test_list_filters(as_user, clinic, practitioner, second_practitioner):
    patient = PatientFactory(clinic=clinic)
    day = days_ahead(7)
    first = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, patient=patient, start=local_at(clinic, day, "09:00")
    )
    second = AppointmentFactory(
        clinic=clinic, practitioner=second_practitioner, start=local_at(clinic, day + timedelta(days=1), "00:30")
    )
    third = AppointmentFactory(
        clinic=clinic,
        practitioner=practitioner,
        start=local_at(clinic, day + timedelta(days=2), "09:00"),
        status=AppointmentStatus.CANCELLED,
    )
    client = as_user(clinic.staff[Role.BILLING])

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.data
        return [a["id"] for a in response.data["results"]]

    assert ids() == [str(first.pk), str(second.pk), str(third.pk)]
    assert ids(practitioner=str(practitioner.pk)) == [str(first.pk), str(third.pk)]
    assert ids(patient=str(patient.pk)) == [str(first.pk)]
    assert ids(status="booked") == [str(first.pk), str(second.pk)]
    assert ids(status="cancelled,no_show") == [str(third.pk)]
    # Dates are local to the clinic asked for: 00:30 local on day+1 is still "day" in UTC.
    assert ids(clinic=str(clinic.pk), date_from=str(day), date_to=str(day)) == [str(first.pk)]
    after = local_at(clinic, day, "12:00").isoformat()
    assert ids(date_from=after) == [str(second.pk), str(third.pk)]
    for bad in ({"status": "done"}, {"date_from": "soon"}, {"date_to": "2026-01-01T10:00"}, {"practitioner": "x"}):
        assert client.get(LIST, bad).status_code == 400, bad


def test_listing_a_week_is_a_constant_number_of_queries(as_user, clinic, practitioner):
    client = as_user(clinic.staff[Role.PRACTITIONER])
    params = {
        "practitioner": str(practitioner.pk),
        "clinic": str(clinic.pk),
        "date_from": str(days_ahead(1)),
        "date_to": str(days_ahead(8)),
        "page_size": 100,
    }

    def count(n):
        Appointment.objects.all().delete()
        for i in range(n):
            AppointmentFactory(
                clinic=clinic,
                practitioner=practitioner,
                start=local_at(clinic, days_ahead(2), "08:00") + timedelta(minutes=30 * i),
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, params)
        assert len(response.data["results"]) == n
        return len(counted(queries))

    assert count(2) == count(40)
    assert count(40) <= 4


def test_ordering_by_start_either_way_and_unknown_orderings_are_400(as_user, clinic, practitioner):
    early, late = (
        AppointmentFactory(clinic=clinic, practitioner=practitioner, start=local_at(clinic, days_ahead(3), at))
        for at in ("09:00", "15:00")
    )
    client = as_user(clinic.staff[Role.RECEPTIONIST])

    def ids(ordering):
        return [row["id"] for row in client.get(LIST, {"ordering": ordering}).data["results"]]

    assert ids("start") == [str(early.pk), str(late.pk)]
    assert ids("-start") == [str(late.pk), str(early.pk)]
    refused = client.get(LIST, {"ordering": "patient"})
    assert (refused.status_code, list(refused.data["fields"])) == (400, ["ordering"])


def test_every_scheduling_list_names_the_bad_parameter(as_user, clinic):
    client = as_user(clinic.staff[Role.OWNER])
    bad = {
        "appointment-list": {"status": "booked,done", "patient": "x"},
        "appointment-calendar": {"practitioner": "x", "date_from": "2026-13-01"},
        "availability-list": {"practitioner": "x"},
        "availability-exception-list": {"date_from": "soon"},
        "appointment-series-list": {"patient": "x"},
        "calendar-feed-list": {"practitioner": "x"},
        "reminder-preference-list": {"patient": "x"},
        "slot-list": {"clinic": str(clinic.pk), "practitioner": "x", "date_from": "soon", "date_to": "2026-01-01"},
    }
    for name, params in bad.items():
        response = client.get(reverse(name), params)
        assert response.status_code == 400, (name, response.content[:200])
        assert set(params) - {"clinic", "date_to"} <= set(response.data["fields"]), (name, response.data)
    practitioners = client.get(reverse("clinic-practitioners", args=[clinic.pk]), {"search": "x" * 101})
    assert list(practitioners.data["fields"]) == ["search"]


def test_the_schema_lists_every_filter_of_the_scheduling_lists():
    from apps.core.tests.contract import live_schema

    paths = live_schema()["paths"]

    def names(path):
        return {p["name"] for p in paths[path]["get"].get("parameters", []) if p["in"] == "query"}

    assert {"clinic", "practitioner", "patient", "status", "date_from", "date_to", "ordering"} <= names(
        "/api/v1/appointments/"
    )
    assert {"clinic", "practitioner", "date_from", "date_to"} <= names("/api/v1/appointments/calendar.ics/")
    assert {"clinic", "practitioner", "date_from", "date_to"} <= names("/api/v1/slots/")
    assert {"clinic", "practitioner", "patient"} <= names("/api/v1/appointment-series/")
    assert {"search"} <= names("/api/v1/clinics/{clinic_pk}/practitioners/")
