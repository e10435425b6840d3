"""A practitioner's appointments as an iCalendar (RFC 5545) feed, written by hand.

Times are UTC ("Z"), so the feed needs no VTIMEZONE; calendar apps show them
in their user's zone. Events carry the MRN, never a patient's name or the
visit reason: feeds end up in third-party calendars.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from apps.scheduling.models import Appointment, AppointmentStatus

PRODID = "-//ClinicOps//Scheduling 1.0//EN"
CRLF = "\r\n"


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return CRLF.join(out)


def utc_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(appointment: Appointment, clinic_name: str, mrn: str, host: str) -> list[str]:
    status = "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED"
    return [
        "BEGIN:VEVENT",
        f"UID:{appointment.pk}@{host}",
        f"DTSTAMP:{utc_stamp(appointment.updated_at)}",
        f"LAST-MODIFIED:{utc_stamp(appointment.updated_at)}",
        f"CREATED:{utc_stamp(appointment.created_at)}",
        f"DTSTART:{utc_stamp(appointment.start)}",
        f"DTEND:{utc_stamp(appointment.end)}",
        f"SEQUENCE:{appointment.sequence}",
        f"STATUS:{status}",
        f"SUMMARY:{escape_text(f'Appointment {mrn} ({appointment.get_status_display()})')}",
        f"LOCATION:{escape_text(clinic_name)}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]


def appointments_calendar(appointments: Iterable[Appointment], *, name: str, host: str = "clinicops") -> str:
    """The VCALENDAR text; ``appointments`` need ``clinic`` and ``patient`` loaded (select_related)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for appointment in appointments:
        lines.extend(_event(appointment, appointment.clinic.name, appointment.patient.mrn, host))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
