"""Availability and exceptions: own-only for practitioners, bad input, overlaps (roles: tests/test_personas.py)."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.scheduling.models import Availability, AvailabilityException
from apps.scheduling.tests.factories import AvailabilityFactory

pytestmark = pytest.mark.django_db
LIST = reverse("availability-list")
EXCEPTIONS = reverse("availability-exception-list")


def hours(clinic, practitioner, **overrides):
    body = {
        "clinic": str(clinic.pk),
        "practitioner": str(practitioner.pk),
        "weekday": 0,
        "start_time": "09:00",
        "end_time": "12:00",
        "slot_minutes": 20,
    }
    body.update(overrides)
    return body


def detail(availability):
    return reverse("availability-detail", args=[availability.pk])


@pytest.fixture
def doctor(clinic):
    return clinic.staff[Role.PRACTITIONER]


def test_weekly_hours_are_stored_and_audited(as_user, clinic, doctor):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    response = as_user(clinic.staff[role]).post(LIST, hours(clinic, doctor))
    assert response.status_code == 201, response.data
    assert (response.data["start_time"], response.data["slot_minutes"]) == ("09:00:00", 20)
    assert AuditEvent.objects.filter(action="availability.create").exists()


def test_a_practitioner_edits_only_their_own_hours(as_user, clinic, doctor):
    from apps.clinics.tests.factories import MembershipFactory

    colleague = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
    theirs = AvailabilityFactory(clinic=clinic, practitioner=colleague)
    client = as_user(doctor)
    response = client.post(LIST, hours(clinic, colleague))
    assert response.status_code == 403
    assert response.data["code"] == "not_own_availability"
    assert client.patch(detail(theirs), {"slot_minutes": 15}).status_code == 403
    assert client.delete(detail(theirs)).status_code == 403
    assert (
        client.post(
            EXCEPTIONS,
            {"clinic": str(clinic.pk), "practitioner": str(colleague.pk), "date": "2030-01-07", "kind": "unavailable"},
        ).status_code
        == 403
    )
    assert Availability.objects.get().slot_minutes == 30
    assert not AvailabilityException.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_time": "08:00"}, "end_time"),
        ({"end_time": "09:00"}, "end_time"),
        ({"weekday": 7}, "weekday"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"slot_minutes": 240}, "slot_minutes"),  # longer than the hours
        ({"start_time": "25:00"}, "start_time"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_hours_are_400_and_write_nothing(as_user, clinic, doctor, overrides, field):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, hours(clinic, doctor, **overrides))
    assert response.status_code == 400, response.data
    assert field in response.data["fields"]
    assert not Availability.objects.exists()


def test_hours_of_a_non_practitioner_are_refused(as_user, clinic):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, hours(clinic, clinic.staff[Role.BILLING]))
    assert response.status_code == 400
    assert "practitioner" in response.data["fields"]


def test_overlapping_hours_on_one_weekday_are_409(as_user, clinic, doctor):
    client = as_user(clinic.staff[Role.OWNER])
    assert client.post(LIST, hours(clinic, doctor)).status_code == 201
    response = client.post(LIST, hours(clinic, doctor, start_time="11:00", end_time="13:00"))
    assert response.status_code == 409
    assert response.data["code"] == "availability_overlap"
    assert client.post(LIST, hours(clinic, doctor, start_time="12:00", end_time="13:00")).status_code == 201
    assert client.post(LIST, hours(clinic, doctor, weekday=1)).status_code == 201
    assert Availability.objects.count() == 3


def test_update_and_delete(as_user, clinic, doctor):
    availability = AvailabilityFactory(clinic=clinic, practitioner=doctor)
    client = as_user(doctor)
    response = client.patch(detail(availability), {"end_time": "18:00", "slot_minutes": 15})
    assert response.status_code == 200, response.data
    assert client.patch(detail(availability), {"end_time": "08:00"}).status_code == 400
    availability.refresh_from_db()
    assert (availability.end_time.hour, availability.slot_minutes) == (18, 15)
    assert client.delete(detail(availability)).status_code == 204
    assert not Availability.objects.exists()
    assert AuditEvent.objects.filter(action="availability.delete").exists()


def test_exceptions_create_list_delete_and_validate(as_user, clinic, doctor):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    base = {"clinic": str(clinic.pk), "practitioner": str(doctor.pk), "date": "2030-01-07"}
    day_off = client.post(EXCEPTIONS, {**base, "kind": "unavailable", "note": "Conference"})
    assert day_off.status_code == 201, day_off.data
    extra = client.post(EXCEPTIONS, {**base, "kind": "available", "start_time": "18:00", "end_time": "20:00"})
    assert extra.status_code == 201, extra.data
    assert extra.data["slot_minutes"] == 30
    for bad in (
        {"kind": "available"},  # extra hours need times
        {"kind": "unavailable", "start_time": "10:00"},  # both or neither
        {"kind": "unavailable", "start_time": "10:00", "end_time": "09:00"},
        {"kind": "holiday"},
        {"kind": "unavailable", "date": "2030-02-30"},
    ):
        response = client.post(EXCEPTIONS, {**base, **bad})
        assert response.status_code == 400, (bad, response.data)
    assert AvailabilityException.objects.count() == 2
    listed = client.get(
        EXCEPTIONS, {"practitioner": str(doctor.pk), "date_from": "2030-01-07", "date_to": "2030-01-07"}
    )
    assert len(listed.data["results"]) == 2
    assert client.get(EXCEPTIONS, {"date_from": "soon"}).status_code == 400
    url = reverse("availability-exception-detail", args=[day_off.data["id"]])
    assert as_user(clinic.staff[Role.BILLING]).delete(url).status_code == 403
    assert as_user(clinic.staff[Role.RECEPTIONIST]).delete(url).status_code == 204
    assert AvailabilityException.objects.count() == 1
