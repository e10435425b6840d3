"""Free slots: daylight-saving changes in Berlin and New York, exceptions, bookings, queries, access."""

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus, AvailabilityException
from apps.scheduling.tests.factories import AppointmentFactory, AvailabilityFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
SLOTS = reverse("slot-list")


def next_transition(zone_name: str, *, spring: bool) -> date:
    """The next local date (from two days on) on which the clocks change (at night)."""
    zone = ZoneInfo(zone_name)
    day = date.today() + timedelta(days=2)
    for _ in range(400):
        before = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        after = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).utcoffset()
        assert before is not None
        assert after is not None
        if before != after and (after > before) == spring:
            return day
        day += timedelta(days=1)
    raise AssertionError("no transition within a year")


def hours(clinic, practitioner, day, start, end, slot_minutes):
    AvailabilityFactory(
        clinic=clinic,
        practitioner=practitioner,
        weekday=day.weekday(),
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        slot_minutes=slot_minutes,
    )


def slots(client, clinic, practitioner, date_from, date_to=None):
    response = client.get(
        SLOTS,
        {
            "clinic": str(clinic.pk),
            "practitioner": str(practitioner.pk),
            "date_from": str(date_from),
            "date_to": str(date_to or date_from),
        },
    )
    assert response.status_code == 200, response.data
    assert response.data["time_zone"] == clinic.time_zone
    return [(s["start"], s["end"]) for s in response.data["results"]]


def starts(found):
    return [start for start, _ in found]


@pytest.fixture
def doctor(clinic):
    return clinic.staff[Role.PRACTITIONER]


@pytest.mark.parametrize(
    ("zone", "winter", "summer"), [("Europe/Berlin", "+01:00", "+02:00"), ("America/New_York", "-05:00", "-04:00")]
)
def test_office_hours_keep_their_local_time_across_the_spring_change(as_user, clinic, doctor, zone, winter, summer):
    clinic.time_zone = zone
    clinic.save()
    after = next_transition(zone, spring=True)  # the clocks go forward in the night of this date
    change = after - timedelta(days=1)
    for day in (change, after):
        hours(clinic, doctor, day, "09:00", "11:00", 60)
    found = slots(as_user(clinic.staff[Role.RECEPTIONIST]), clinic, doctor, change, after)
    assert found == [
        (f"{change}T09:00:00{winter}", f"{change}T10:00:00{winter}"),
        (f"{change}T10:00:00{winter}", f"{change}T11:00:00{winter}"),
        (f"{after}T09:00:00{summer}", f"{after}T10:00:00{summer}"),
        (f"{after}T10:00:00{summer}", f"{after}T11:00:00{summer}"),
    ]
    # The same wall-clock time is an hour apart in UTC on the two days.
    first = datetime.fromisoformat(found[0][0])
    third = datetime.fromisoformat(found[2][0])
    assert third - first == timedelta(hours=23)


@pytest.mark.parametrize(
    ("zone", "winter", "summer"), [("Europe/Berlin", "+01:00", "+02:00"), ("America/New_York", "-05:00", "-04:00")]
)
def test_office_hours_keep_their_local_time_across_the_autumn_change(as_user, clinic, doctor, zone, winter, summer):
    clinic.time_zone = zone
    clinic.save()
    after = next_transition(zone, spring=False)
    change = after - timedelta(days=1)
    for day in (change, after):
        hours(clinic, doctor, day, "09:00", "10:00", 60)
    assert slots(as_user(doctor), clinic, doctor, change, after) == [
        (f"{change}T09:00:00{summer}", f"{change}T10:00:00{summer}"),
        (f"{after}T09:00:00{winter}", f"{after}T10:00:00{winter}"),
    ]


@pytest.mark.parametrize(
    ("zone", "winter", "summer"), [("Europe/Berlin", "+01:00", "+02:00"), ("America/New_York", "-05:00", "-04:00")]
)
def test_a_night_window_through_the_spring_gap_has_no_slots_in_the_missing_hour(
    as_user, clinic, doctor, zone, winter, summer
):
    clinic.time_zone = zone
    clinic.save()
    day = next_transition(zone, spring=True)  # 02:00 -> 03:00 happens on this date
    hours(clinic, doctor, day, "01:00", "04:00", 30)
    assert starts(slots(as_user(doctor), clinic, doctor, day)) == [
        f"{day}T01:00:00{winter}",
        f"{day}T01:30:00{winter}",
        f"{day}T03:00:00{summer}",
        f"{day}T03:30:00{summer}",
    ]


@pytest.mark.parametrize(
    ("zone", "winter", "summer"), [("Europe/Berlin", "+01:00", "+02:00"), ("America/New_York", "-05:00", "-04:00")]
)
def test_a_night_window_through_the_autumn_change_offers_the_repeated_hour_twice(
    as_user, clinic, doctor, zone, winter, summer
):
    clinic.time_zone = zone
    clinic.save()
    day = next_transition(zone, spring=False)  # the clocks go back on this date
    hours(clinic, doctor, day, "00:00", "04:00", 60)
    found = slots(as_user(doctor), clinic, doctor, day)
    if zone == "Europe/Berlin":  # 03:00 CEST -> 02:00 CET
        expected = ["00:00:00+02:00", "01:00:00+02:00", "02:00:00+02:00", "02:00:00+01:00", "03:00:00+01:00"]
    else:  # 02:00 EDT -> 01:00 EST
        expected = ["00:00:00-04:00", "01:00:00-04:00", "01:00:00-05:00", "02:00:00-05:00", "03:00:00-05:00"]
    assert starts(found) == [f"{day}T{t}" for t in expected]
    instants = [datetime.fromisoformat(s) for s in starts(found)]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(instants))


def test_booked_slots_are_not_free_and_cancelled_ones_are(as_user, clinic, doctor):
    day = days_ahead(7)
    hours(clinic, doctor, day, "09:00", "11:00", 30)
    AppointmentFactory(clinic=clinic, practitioner=doctor, start=local_at(clinic, day, "09:30"))
    AppointmentFactory(
        clinic=clinic, practitioner=doctor, start=local_at(clinic, day, "10:00"), status=AppointmentStatus.CANCELLED
    )
    # 45 minutes from 10:15: blocks the 10:00 and 10:30 slots
    AppointmentFactory(
        clinic=clinic,
        practitioner=doctor,
        start=local_at(clinic, day, "10:15"),
        end=local_at(clinic, day, "10:45"),
    )
    assert [s[11:16] for s in starts(slots(as_user(doctor), clinic, doctor, day))] == ["09:00"]


def test_days_off_hours_off_and_extra_hours(as_user, clinic, doctor):
    monday = days_ahead(7 - days_ahead(0).weekday() + 7)  # a Monday at least a week away
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    for day in (monday, tuesday, wednesday):
        hours(clinic, doctor, day, "09:00", "11:00", 60)
    AvailabilityException.objects.create(clinic=clinic, practitioner=doctor, date=monday, kind="unavailable")
    AvailabilityException.objects.create(
        clinic=clinic, practitioner=doctor, date=tuesday, kind="unavailable", start_time=time(9), end_time=time(10)
    )
    AvailabilityException.objects.create(
        clinic=clinic,
        practitioner=doctor,
        date=wednesday,
        kind="available",
        start_time=time(14),
        end_time=time(15),
        slot_minutes=30,
    )
    found = [s[:16] for s in starts(slots(as_user(doctor), clinic, doctor, monday, wednesday))]
    assert found == [
        f"{tuesday}T10:00",
        f"{wednesday}T09:00",
        f"{wednesday}T10:00",
        f"{wednesday}T14:00",
        f"{wednesday}T14:30",
    ]


def test_the_slot_lookup_is_a_constant_number_of_queries(as_user, clinic, doctor):
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    for weekday in range(7):
        AvailabilityFactory(clinic=clinic, practitioner=doctor, weekday=weekday)

    def count(days, bookings, first_day):
        day = days_ahead(first_day)
        for n in range(bookings):
            AppointmentFactory(
                clinic=clinic,
                practitioner=doctor,
                start=local_at(clinic, day + timedelta(days=n % days), "09:00") + timedelta(minutes=30 * (n // days)),
            )
        with CaptureQueriesContext(connection) as queries:
            slots(client, clinic, doctor, day, day + timedelta(days=days - 1))
        return len(queries)

    assert count(1, 1, first_day=2) == count(30, 60, first_day=3)


def test_past_slots_are_not_offered(as_user, clinic, doctor):
    yesterday = days_ahead(-1)
    hours(clinic, doctor, yesterday, "00:00", "23:00", 60)
    assert slots(as_user(doctor), clinic, doctor, yesterday) == []


def test_bad_queries_are_400(as_user, clinic, doctor):
    """Anonymous, roles and another clinic: tests/test_personas.py."""
    params = {
        "clinic": str(clinic.pk),
        "practitioner": str(doctor.pk),
        "date_from": "2030-01-01",
        "date_to": "2030-01-02",
    }
    client = as_user(clinic.staff[Role.BILLING])
    assert client.get(SLOTS, params).status_code == 200
    for bad in (
        {"date_to": "2029-12-31"},
        {"date_to": "2030-03-01"},
        {"date_from": "tomorrow"},
        {"practitioner": str(clinic.staff[Role.RECEPTIONIST].pk)},
        {"practitioner": "nope"},
        {"clinic": ""},
        {"extra": "1"},
    ):
        response = client.get(SLOTS, {**params, **bad})
        assert response.status_code == 400, (bad, response.data)
