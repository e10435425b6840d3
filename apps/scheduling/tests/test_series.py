"""Appointment series: the RRULE subset, local time across DST, all or nothing with every conflict named,
cancel and move all or this-and-following, occurrences as real appointments in lists and feeds."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus
from apps.scheduling.recurrence import occurrences, parse_rule
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
SERIES = reverse("appointment-series-list")


def body(clinic, patient, practitioner, start, rrule, **extra):
    return {
        "clinic": str(clinic.pk),
        "patient": str(patient.pk),
        "practitioner": str(practitioner.pk),
        "start": start.isoformat(),
        "rrule": rrule,
        **extra,
    }


def next_weekday(weekday: int, after: int = 7) -> date:
    day = days_ahead(after)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


# --- the rule and DST -------------------------------------------------------------


def test_weekly_in_berlin_across_the_october_change_keeps_nine_local():
    zone = ZoneInfo("Europe/Berlin")
    starts = occurrences(
        parse_rule("FREQ=WEEKLY;COUNT=4"), first_start=datetime(2027, 10, 18, 9, 0, tzinfo=zone), zone=zone
    )
    assert [s.astimezone(zone).time() for s in starts] == [time(9)] * 4
    utc_hours = [s.astimezone(ZoneInfo("UTC")).hour for s in starts]
    assert utc_hours == [7, 7, 8, 8]  # CEST until 31 October 2027, then CET


def test_weekly_in_new_york_across_the_march_change_keeps_nine_local():
    zone = ZoneInfo("America/New_York")
    starts = occurrences(
        parse_rule("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330"),
        first_start=datetime(2027, 3, 2, 9, 0, tzinfo=zone),
        zone=zone,
    )
    assert [s.astimezone(zone).date().day for s in starts] == [2, 9, 16, 23, 30]
    assert {s.astimezone(zone).time() for s in starts} == {time(9)}
    assert [s.astimezone(ZoneInfo("UTC")).hour for s in starts] == [14, 14, 13, 13, 13]  # EDT from 14 March


def test_daily_interval_and_byday_expand_as_rfc5545_says():
    zone = ZoneInfo("UTC")
    first = datetime(2027, 1, 4, 10, 0, tzinfo=zone)  # a Monday
    assert [s.day for s in occurrences(parse_rule("FREQ=DAILY;INTERVAL=2;COUNT=3"), first_start=first, zone=zone)] == [
        4,
        6,
        8,
    ]
    weekly = occurrences(parse_rule("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"), first_start=first, zone=zone)
    assert [s.day for s in weekly] == [4, 7, 11, 14]
    assert parse_rule("rrule:freq=weekly;byday=th,mo;count=4").text == "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4"


# --- booking ----------------------------------------------------------------------


def test_a_weekly_series_books_real_appointments(as_user, clinic, patient, practitioner):
    start = local_at(clinic, days_ahead(7), "09:00")
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        SERIES, body(clinic, patient, practitioner, start, "FREQ=WEEKLY;COUNT=6")
    )
    assert response.status_code == 201, response.data
    assert response.data["rrule"] == "FREQ=WEEKLY;COUNT=6"
    assert response.data["minutes"] == 30  # the availability's slot length
    occurrences_out = response.data["occurrences"]
    assert len(occurrences_out) == 6
    zone = ZoneInfo(clinic.time_zone)
    assert {datetime.fromisoformat(o["start"]).astimezone(zone).time() for o in occurrences_out} == {time(9)}
    assert {o["series"] for o in occurrences_out} == {response.data["id"]}
    assert Appointment.objects.filter(series_id=response.data["id"], status="booked").count() == 6
    listed = as_user(clinic.staff[Role.RECEPTIONIST]).get(reverse("appointment-list"), {"patient": str(patient.pk)})
    assert [a["id"] for a in listed.data["results"]] == [o["id"] for o in occurrences_out]
    assert AuditEvent.objects.filter(action="appointment_series.book", resource_id=response.data["id"]).exists()
    feed = as_user(practitioner).get(reverse("appointment-calendar"))
    assert feed.content.decode().count(f"RELATED-TO:series-{response.data['id']}@") == 6


def test_conflicts_are_listed_one_by_one_and_nothing_is_booked(as_user, clinic, patient, practitioner):
    start = local_at(clinic, days_ahead(7), "09:00")
    taken = AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start + timedelta(days=14))
    busy_patient = AppointmentFactory(
        clinic=clinic,
        patient=patient,
        practitioner=clinic.staff[Role.OWNER],
        start=start + timedelta(days=21, minutes=15),
    )
    from apps.scheduling.models import AvailabilityException

    AvailabilityException.objects.create(
        clinic=clinic, practitioner=practitioner, date=(start + timedelta(days=7)).date(), kind="unavailable"
    )
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        SERIES, body(clinic, patient, practitioner, start, "FREQ=WEEKLY;COUNT=5")
    )
    assert response.status_code == 409
    assert response.data["code"] == "series_conflicts"
    reasons = {datetime.fromisoformat(c["start"]).date(): c["reason"] for c in response.data["conflicts"]}
    assert reasons == {
        (start + timedelta(days=7)).date(): "outside_availability",
        taken.start.astimezone(ZoneInfo(clinic.time_zone)).date(): "slot_taken",
        busy_patient.start.astimezone(ZoneInfo(clinic.time_zone)).date(): "patient_busy",
    }
    assert not AppointmentSeries.objects.exists()
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=SECONDLY;COUNT=3",
        "FREQ=WEEKLY;COUNT=10000",
        "FREQ=WEEKLY;UNTIL=20200101",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=3",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20300101",
        "FREQ=DAILY;BYDAY=MO;COUNT=3",
        "FREQ=WEEKLY;BYMONTH=1;COUNT=3",
        "FREQ=DAILY;UNTIL=20991231",  # far more than 52 occurrences
        "FREQ=WEEKLY;INTERVAL=0;COUNT=3",
        "garbage",
    ],
)
def test_bad_rules_are_4xx_and_write_nothing(as_user, clinic, patient, practitioner, rrule):
    start = local_at(clinic, days_ahead(7), "09:00")
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(SERIES, body(clinic, patient, practitioner, start, rrule))
    assert response.status_code == 400, response.data
    assert "rrule" in response.data["fields"]
    assert not AppointmentSeries.objects.exists()
    assert not Appointment.objects.exists()


def test_who_may_book_a_series(api, as_user, clinic, other_clinic, patient, practitioner, second_practitioner):
    start = local_at(clinic, days_ahead(7), "09:00")
    payload = body(clinic, patient, practitioner, start, "FREQ=DAILY;COUNT=3")
    assert api.post(SERIES, payload).status_code == 401
    assert as_user(clinic.staff[Role.BILLING]).post(SERIES, payload).status_code == 403
    assert as_user(second_practitioner).post(SERIES, payload).status_code == 403
    assert as_user(other_clinic.staff[Role.OWNER]).post(SERIES, payload).status_code == 400
    assert not Appointment.objects.exists()
    made = as_user(practitioner).post(SERIES, payload)
    assert made.status_code == 201
    assert (
        as_user(other_clinic.staff[Role.OWNER])
        .get(reverse("appointment-series-detail", args=[made.data["id"]]))
        .status_code
        == 404
    )
    assert as_user(clinic.staff[Role.BILLING]).get(SERIES).data["results"][0]["id"] == made.data["id"]


# --- changing a series --------------------------------------------------------------


def _booked(as_user, clinic, patient, practitioner, count=4):
    start = local_at(clinic, days_ahead(7), "09:00")
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        SERIES, body(clinic, patient, practitioner, start, f"FREQ=WEEKLY;COUNT={count}")
    )
    assert response.status_code == 201, response.data
    return response.data


def test_cancel_this_and_following_then_the_rest(as_user, clinic, patient, practitioner):
    series = _booked(as_user, clinic, patient, practitioner)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    url = reverse("appointment-series-cancel", args=[series["id"]])
    third = series["occurrences"][2]["id"]
    response = client.post(url, {"reason": "moving away", "from_occurrence": third})
    assert response.status_code == 200, response.data
    assert [o["status"] for o in response.data["occurrences"]] == ["booked", "booked", "cancelled", "cancelled"]
    # One occurrence alone, through the appointment itself.
    first = series["occurrences"][0]["id"]
    assert client.post(reverse("appointment-cancel", args=[first]), {"reason": "ill"}).status_code == 200
    everything = client.post(url, {"reason": "all done"})
    assert [o["status"] for o in everything.data["occurrences"]] == ["cancelled"] * 4
    assert (
        client.post(url, {"reason": "x", "from_occurrence": str(PatientFactory(clinic=clinic).pk)}).status_code == 400
    )


def test_move_this_and_following_to_another_time_all_or_nothing(as_user, clinic, patient, practitioner):
    series = _booked(as_user, clinic, patient, practitioner)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    url = reverse("appointment-series-move", args=[series["id"]])
    second = series["occurrences"][1]
    blocker_start = datetime.fromisoformat(series["occurrences"][3]["start"]).replace(hour=11)
    AppointmentFactory(clinic=clinic, practitioner=practitioner, start=blocker_start)
    refused = client.post(url, {"time": "11:00", "from_occurrence": second["id"]})
    assert refused.status_code == 409
    assert [c["reason"] for c in refused.data["conflicts"]] == ["slot_taken"]
    assert Appointment.objects.filter(series_id=series["id"], start__hour=8).count() == 4  # 09:00 CET unchanged
    moved = client.post(url, {"time": "10:00", "minutes": 45, "from_occurrence": second["id"]})
    assert moved.status_code == 200, moved.data
    zone = ZoneInfo(clinic.time_zone)
    times = [datetime.fromisoformat(o["start"]).astimezone(zone).time() for o in moved.data["occurrences"]]
    assert times == [time(9), time(10), time(10), time(10)]
    lengths = {
        datetime.fromisoformat(o["end"]) - datetime.fromisoformat(o["start"]) for o in moved.data["occurrences"][1:]
    }
    assert lengths == {timedelta(minutes=45)}
    assert client.post(url, {}).status_code == 400


def test_an_occurrence_checks_in_like_any_appointment(as_user, clinic, patient, practitioner):
    from apps.scheduling.tests.test_front_desk import _zone_where_it_is_nine_now

    clinic.time_zone = _zone_where_it_is_nine_now()  # the practitioner works 08:00-18:00 local
    clinic.save()
    zone = ZoneInfo(clinic.time_zone)
    start = datetime.combine(timezone.now().astimezone(zone).date(), time(10), tzinfo=zone)
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        SERIES, body(clinic, patient, practitioner, start, "FREQ=DAILY;COUNT=2")
    )
    assert response.status_code == 201, response.data
    first, second = (o["id"] for o in response.data["occurrences"])
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    assert client.post(reverse("appointment-check-in", args=[first])).status_code == 200
    assert Appointment.objects.get(pk=first).status == AppointmentStatus.CHECKED_IN
    assert client.post(reverse("appointment-check-in", args=[second])).data["code"] == "check_in_window"
