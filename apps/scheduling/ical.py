"""Appointments as an iCalendar (RFC 5545) feed, built with the ``icalendar`` package.

Times are written in the clinic's zone with its VTIMEZONE, so a calendar app
shows 09:00 as the clinic means it on both sides of a daylight-saving change.
Events carry the MRN, never a patient's name or the visit reason: feeds end
up in third-party calendars. An occurrence of a series names the series in
RELATED-TO (and in its description), so calendar apps can group them.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.scheduling.models import Appointment, AppointmentStatus

if TYPE_CHECKING:
    import icalendar

PRODID = "-//ClinicOps//Scheduling 1.0//EN"


def _event(appointment: Appointment, host: str) -> "icalendar.Event":
    import icalendar

    zone = ZoneInfo(appointment.clinic.time_zone)
    event = icalendar.Event()
    event.add("uid", f"{appointment.pk}@{host}")
    event.add("dtstamp", appointment.updated_at)
    event.add("last-modified", appointment.updated_at)
    event.add("created", appointment.created_at)
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("sequence", appointment.sequence)
    event.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    event.add("summary", f"Appointment {appointment.patient.mrn} ({appointment.get_status_display()})")
    event.add("location", appointment.clinic.name)
    event.add("transp", "OPAQUE")
    series_id = getattr(appointment, "series_id", None)
    if series_id:
        event.add("related-to", f"series-{series_id}@{host}")
        event.add("description", "Part of a recurring series.")
    return event


def appointments_calendar(appointments: Iterable[Appointment], *, name: str, host: str = "clinicops") -> str:
    """The VCALENDAR text; ``appointments`` need ``clinic`` and ``patient`` loaded (select_related)."""
    import icalendar  # ~10 MB imported: only the feeds pay for it, not every web worker

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    first: date | None = None
    for appointment in appointments:
        calendar.add_component(_event(appointment, host))
        day = appointment.start.date()
        first = day if first is None or day < first else first
    # VTIMEZONE for every zone used, covering the feed's span (a few years, not 1970-2038).
    start = (first or timezone.now().date()) - timedelta(days=366)
    calendar.add_missing_timezones(first_date=start, last_date=start + timedelta(days=366 * 4))
    text: str = calendar.to_ical().decode("utf-8")
    return text
