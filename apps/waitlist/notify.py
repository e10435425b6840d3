"""The message of an offer, through the reminder channels (email, and SMS via settings.SMS_BACKEND).

Planning inserts one queued row per offer and channel the patient can be
reached on (unique per offer and channel); delivery claims a row with
``SELECT ... FOR UPDATE SKIP LOCKED``, sends, and records the outcome in the
claim's transaction, as reminders do: a second or concurrent run sends nothing
twice, a crashed one leaves the row queued for the next. Only messages of
offers still pending go out. The text names no patient (a phone's lock screen
is read by others) and says how long the slot is held.
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from apps.jobs.services import job_enqueue
from apps.scheduling.models import Channel, NotificationStatus
from apps.scheduling.selectors import practitioner_display_name
from apps.scheduling.sms import send_sms
from apps.waitlist.models import OfferStatus, WaitlistOffer, WaitlistOfferNotification

logger = logging.getLogger("clinicops.waitlist")

MAX_ATTEMPTS = 3
DELIVER_TASK = "apps.waitlist.tasks.deliver_offer_messages"


def notifications_plan(offers: Sequence[WaitlistOffer]) -> int:
    """Queue the messages of new offers (in the caller's transaction) and send them once it commits."""
    rows_of = WaitlistOffer.objects.filter(pk__in=[o.pk for o in offers])
    contacts = {
        pk: (email, phone)
        for pk, email, phone in rows_of.values_list("pk", "entry__patient__email", "entry__patient__phone")
    }
    rows = [
        WaitlistOfferNotification(clinic_id=offer.clinic_id, offer_id=offer.pk, channel=channel, recipient=recipient)
        for offer in offers
        for channel, recipient in zip((Channel.EMAIL, Channel.SMS), contacts.get(offer.pk, ("", "")), strict=True)
        if recipient
    ]
    WaitlistOfferNotification.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        job_enqueue(task=DELIVER_TASK, args=[[str(offer.pk) for offer in offers]])
    return len(rows)


def offer_text(offer: WaitlistOffer) -> tuple[str, str]:
    """Subject and body, in the clinic's zone; no patient name."""
    clinic = offer.clinic
    zone = ZoneInfo(clinic.time_zone)
    local, until = offer.start.astimezone(zone), offer.expires_at.astimezone(zone)
    name = practitioner_display_name(offer.practitioner.full_name, offer.practitioner_id)
    when = f"{local:%A %d %B %Y} at {local:%H:%M} ({local.tzname()})"
    body = (
        f"An earlier appointment is free at {clinic.name} with {name} on {when}. "
        f"It is held for you until {until:%H:%M} on {until:%d %B}: call the clinic to take it "
        f"(reference {str(offer.pk)[-8:]})."
    )
    return f"Appointment available: {clinic.name}, {local:%d %b %H:%M}", body


def _send(notification: WaitlistOfferNotification) -> None:
    subject, body = offer_text(notification.offer)
    if notification.channel == Channel.EMAIL:
        EmailMessage(subject=subject, body=body, to=[notification.recipient]).send()
    else:
        send_sms(to=notification.recipient, body=body, reference=str(notification.pk))


def offer_message_deliver(*, notification_id: Any, now: datetime) -> str | None:
    """Claim one queued message of a pending offer, send it, record the outcome; None if nothing to do."""
    with transaction.atomic():
        notification = (
            WaitlistOfferNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("offer__clinic", "offer__practitioner")
            .filter(
                pk=notification_id,
                status__in=(NotificationStatus.QUEUED, NotificationStatus.FAILED),
                attempts__lt=MAX_ATTEMPTS,
                offer__status=OfferStatus.PENDING,
                offer__expires_at__gt=now,
            )
            .first()
        )
        if notification is None:
            return None
        notification.attempts += 1
        try:
            _send(notification)
        except Exception as exc:  # any backend failure is recorded; the next run retries
            notification.status = NotificationStatus.FAILED
            notification.error = type(exc).__name__[:200]
            logger.warning("waitlist offer message failed", extra={"notification_id": str(notification.pk)})
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.error = ""
        notification.save(update_fields=["status", "attempts", "error", "sent_at", "updated_at"])
        return notification.status


def offer_messages_deliver(*, offer_ids: Sequence[Any] | None = None, now: datetime | None = None) -> int:
    """Send the queued messages of the given offers (all pending offers' if None); returns how many went out."""
    now = now or timezone.now()
    queued = WaitlistOfferNotification.objects.filter(
        status__in=(NotificationStatus.QUEUED, NotificationStatus.FAILED),
        attempts__lt=MAX_ATTEMPTS,
        offer__status=OfferStatus.PENDING,
        offer__expires_at__gt=now,
    )
    if offer_ids is not None:
        queued = queued.filter(offer_id__in=list(offer_ids))
    pending = list(queued.order_by("created_at").values_list("pk", flat=True)[:500])
    outcomes = [offer_message_deliver(notification_id=pk, now=now) for pk in pending]
    return outcomes.count(NotificationStatus.SENT)
