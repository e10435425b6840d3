"""Appointment reminders: each appointment reminded once per channel, in the clinic's time zone.

A run has two steps. Planning inserts one queued Notification per due
appointment and channel; the unique (appointment, channel, kind) makes a
second or concurrent run insert nothing. Delivery takes each queued row
under ``SELECT ... FOR UPDATE SKIP LOCKED``, sends, and marks it sent in that
same transaction. A run that overlaps another skips the rows it holds; a
worker that dies mid-send leaves its transaction uncommitted, so the row is
still queued and the redelivered task (acks_late, reject_on_worker_lost) or
the next Beat run sends it. Opted-out patients get no rows at all.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Notification,
    NotificationKind,
    NotificationStatus,
    ReminderPreference,
    SchedulingSettings,
)
from apps.scheduling.sms import send_sms

logger = logging.getLogger("clinicops.reminders")

MAX_ATTEMPTS = 3
# Rows handled per run; the rest wait five minutes for the next one.
BATCH_SIZE = 500


@dataclass(frozen=True)
class RunSummary:
    planned: int
    sent: int
    failed: int

    def as_dict(self) -> dict[str, int]:
        return {"planned": self.planned, "sent": self.sent, "failed": self.failed}


def _due_condition(now: datetime) -> Q:
    """Appointments starting within their clinic's reminder window (default settings.REMINDER_WINDOW_HOURS)."""
    by_hours: dict[int, list[Any]] = defaultdict(list)
    for clinic_id, hours in SchedulingSettings.objects.values_list("clinic_id", "reminder_window_hours"):
        by_hours[hours].append(clinic_id)
    overridden = [clinic_id for ids in by_hours.values() for clinic_id in ids]
    condition = Q(start__lte=now + timedelta(hours=settings.REMINDER_WINDOW_HOURS)) & ~Q(clinic_id__in=overridden)
    for hours, clinic_ids in by_hours.items():
        condition |= Q(clinic_id__in=clinic_ids, start__lte=now + timedelta(hours=hours))
    return condition


def _opted_out() -> Exists:
    return Exists(ReminderPreference.objects.filter(patient_id=OuterRef("patient_id"), opted_out=True))


def reminders_plan(*, now: datetime) -> int:
    """Queue a reminder per channel for every due, booked appointment that has none; returns how many."""
    already = Notification.objects.filter(appointment_id=OuterRef("pk"), kind=NotificationKind.REMINDER)
    due = (
        Appointment.objects.filter(status=AppointmentStatus.BOOKED, start__gt=now)
        .filter(_due_condition(now))
        .filter(~Exists(already), ~_opted_out())
        .values_list("pk", "clinic_id", "patient__email", "patient__phone")
        .order_by("start")[:BATCH_SIZE]
    )
    rows = []
    for appointment_id, clinic_id, email, phone in due:
        for channel, recipient in ((Channel.EMAIL, email), (Channel.SMS, phone)):
            if recipient:
                rows.append(
                    Notification(
                        clinic_id=clinic_id,
                        appointment_id=appointment_id,
                        kind=NotificationKind.REMINDER,
                        channel=channel,
                        recipient=recipient,
                    )
                )
    # A concurrent run may have planned the same rows: the unique constraint keeps one of each.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reminder_text(appointment: Appointment) -> tuple[str, str]:
    """Subject and body, with the time in the clinic's zone. No patient name: the message may be overseen."""
    clinic = appointment.clinic
    local = appointment.start.astimezone(ZoneInfo(clinic.time_zone))
    with_whom = f" with {appointment.practitioner.full_name}" if appointment.practitioner.full_name else ""
    when = f"{local:%A %d %B %Y} at {local:%H:%M} ({local.tzname()})"
    body = (
        f"Reminder: you have an appointment at {clinic.name}{with_whom} on {when}. "
        "Please contact the clinic if you cannot come."
    )
    return f"Appointment reminder: {clinic.name}, {local:%d %b %H:%M}", body


def _deliver(notification: Notification) -> None:
    subject, body = reminder_text(notification.appointment)
    if notification.channel == Channel.EMAIL:
        EmailMessage(subject=subject, body=body, to=[notification.recipient]).send()
    else:
        send_sms(to=notification.recipient, body=body, reference=str(notification.pk))


def reminder_deliver(*, notification_id: Any, now: datetime) -> str | None:
    """Claim one pending reminder, send it and record the outcome in the claim's transaction.

    Returns the new status, or None if another run holds it, it is done, or
    its appointment is no longer booked and ahead.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("appointment__clinic", "appointment__practitioner")
            .filter(
                pk=notification_id,
                status__in=(NotificationStatus.QUEUED, NotificationStatus.FAILED),
                attempts__lt=MAX_ATTEMPTS,
                appointment__status=AppointmentStatus.BOOKED,
                appointment__start__gt=now,
            )
            .exclude(
                Exists(
                    ReminderPreference.objects.filter(patient_id=OuterRef("appointment__patient_id"), opted_out=True)
                )
            )
            .first()
        )
        if notification is None:
            return None
        notification.attempts += 1
        try:
            _deliver(notification)
        except Exception as exc:  # any backend failure is recorded and retried by a later run
            notification.status = NotificationStatus.FAILED
            notification.error = type(exc).__name__[:200]
            logger.warning(
                "reminder failed",
                extra={
                    "notification_id": str(notification.pk),
                    "channel": notification.channel,
                    "error": notification.error,
                },
            )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.error = ""
        notification.save(update_fields=["status", "attempts", "error", "sent_at", "updated_at"])
        return notification.status


def send_due_reminders(*, now: datetime | None = None) -> RunSummary:
    """One Beat run: plan what is due, then deliver every pending reminder once."""
    now = now or timezone.now()
    planned = reminders_plan(now=now)
    pending = list(
        Notification.objects.filter(
            status__in=(NotificationStatus.QUEUED, NotificationStatus.FAILED),
            attempts__lt=MAX_ATTEMPTS,
            appointment__status=AppointmentStatus.BOOKED,
            appointment__start__gt=now,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    outcomes = [reminder_deliver(notification_id=pk, now=now) for pk in pending]
    summary = RunSummary(
        planned=planned,
        sent=outcomes.count(NotificationStatus.SENT),
        failed=outcomes.count(NotificationStatus.FAILED),
    )
    if planned or pending:
        logger.info("reminders run", extra=summary.as_dict())
    return summary
