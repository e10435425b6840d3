"""Secret calendar subscription URLs: no header needed, hashed at rest, rotated or revoked by the
practitioner or a manager, audited; the feed has the clinic's VTIMEZONE."""

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.scheduling.models import CalendarFeed
from apps.scheduling.tests.factories import AppointmentFactory, days_ahead, local_at

pytestmark = pytest.mark.django_db
FEEDS = reverse("calendar-feed-list")


def issue(client, clinic, practitioner=None):
    body = {"clinic": str(clinic.pk)}
    if practitioner is not None:
        body["practitioner"] = str(practitioner.pk)
    return client.post(FEEDS, body)


def feed_path(url):
    return url.split("testserver", 1)[1]


def test_the_url_works_without_a_header_and_stops_after_rotation(api, as_user, clinic):
    doctor = clinic.staff[Role.PRACTITIONER]
    booked = AppointmentFactory(clinic=clinic, practitioner=doctor, start=local_at(clinic, days_ahead(3), "09:00"))
    response = issue(as_user(doctor), clinic)
    assert response.status_code == 201, response.data
    first = feed_path(response.data["url"])
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash=token).exists()  # only the hash is stored
    api.credentials()  # no Authorization header at all
    fetched = api.get(first)
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(fetched.content)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == booked.start
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert booked.patient.family_name not in fetched.content.decode()
    assert AuditEvent.objects.filter(action="calendar_feed.read", resource_id=str(response.data["id"])).exists()
    # A manager rotates it: the old URL is dead, the new one works.
    rotated = issue(as_user(clinic.staff[Role.ADMIN]), clinic, doctor)
    assert rotated.status_code == 201
    api.credentials()
    assert api.get(first).status_code == 404
    assert api.get(feed_path(rotated.data["url"])).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_revoking_stops_the_url(api, as_user, clinic):
    doctor = clinic.staff[Role.PRACTITIONER]
    issued = issue(as_user(doctor), clinic).data
    revoked = as_user(doctor).delete(reverse("calendar-feed-detail", args=[issued["id"]]))
    assert revoked.status_code == 200
    assert revoked.data["live"] is False
    api.credentials()
    assert api.get(feed_path(issued["url"])).status_code == 404
    assert api.get("/api/v1/feeds/not-a-token.ics").status_code == 404


def test_who_may_issue_feeds(api, as_user, clinic, other_clinic):
    doctor = clinic.staff[Role.PRACTITIONER]
    assert api.post(FEEDS, {"clinic": str(clinic.pk)}).status_code == 401
    for role in (Role.RECEPTIONIST, Role.BILLING):
        assert issue(as_user(clinic.staff[role]), clinic, doctor).status_code == 403
    assert issue(as_user(other_clinic.staff[Role.OWNER]), clinic, doctor).status_code == 400
    from apps.clinics.tests.factories import MembershipFactory

    colleague = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
    assert issue(as_user(colleague), clinic, doctor).status_code == 403  # not their own
    assert not CalendarFeed.objects.exists()
    mine = issue(as_user(doctor), clinic).data
    assert [f["id"] for f in as_user(doctor).get(FEEDS).data["results"]] == [mine["id"]]
    assert as_user(colleague).get(FEEDS).data["results"] == []
    assert as_user(colleague).delete(reverse("calendar-feed-detail", args=[mine["id"]])).status_code == 404
    assert as_user(other_clinic.staff[Role.OWNER]).get(FEEDS).data["results"] == []
    listed = as_user(clinic.staff[Role.OWNER]).get(FEEDS).data["results"]
    assert [f["id"] for f in listed] == [mine["id"]]
    assert "url" not in listed[0]
    assert (
        datetime.fromisoformat(listed[0]["created_at"]).utcoffset()
        == datetime.now(ZoneInfo("Europe/Berlin")).utcoffset()
    )
