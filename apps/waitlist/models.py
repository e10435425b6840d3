"""The waitlist: patients who want an earlier visit, and the freed slots offered to them.

Dates and times of day on an entry are the clinic's local ones; instants
(offers, their expiry) are stored in UTC. An offer holds its slot against other
offers while it is pending (a partial unique index); booking it goes through
scheduling's normal booking service, whose exclusion constraints decide any race.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import ClinicOwnedModel
from apps.scheduling.models import Channel, NotificationStatus

DEFAULT_OFFER_HOLD_MINUTES = 30


class WaitlistPriority(models.IntegerChoices):
    ROUTINE = 0, "Routine"
    SOON = 1, "Soon"
    URGENT = 2, "Urgent"


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked from an offer"
    REMOVED = "removed", "Removed"


class WaitlistEntry(ClinicOwnedModel):
    """A patient waiting for a slot: with one practitioner or any of the clinic's, in a date range.

    ``weekdays`` (0 = Monday; empty: any day) and ``earliest_time`` /
    ``latest_time`` (the slot must start at or after the one and end by the
    other; either may be open) are the patient's preferences. Entries are
    offered in order of ``priority`` (highest first), then age.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date_from = models.DateField(help_text="Local date of the clinic")
    date_to = models.DateField(help_text="Local date of the clinic (inclusive)")
    weekdays = models.JSONField(default=list, blank=True, help_text="Preferred weekdays, 0 = Monday; empty: any")
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="A remark for the front desk (no clinical content)")
    priority = models.PositiveSmallIntegerField(choices=WaitlistPriority.choices, default=WaitlistPriority.ROUTINE)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.WAITING)
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            # The matching scan: a clinic's waiting entries, by date range.
            models.Index(fields=["clinic", "date_from"], condition=Q(status="waiting"), name="waitlist_entry_waiting"),
            models.Index(fields=["clinic", "created_at"], name="waitlist_entry_clinic_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(date_from__lte=models.F("date_to")), name="waitlist_entry_dates"),
            models.CheckConstraint(
                condition=Q(earliest_time__isnull=True)
                | Q(latest_time__isnull=True)
                | Q(earliest_time__lt=models.F("latest_time")),
                name="waitlist_entry_times",
            ),
            models.CheckConstraint(condition=Q(priority__lte=2), name="waitlist_entry_priority_range"),
        ]

    def __str__(self) -> str:
        return f"waitlist entry {self.pk} ({self.status})"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Pending (holds the slot)"
    CONFIRMED = "confirmed", "Confirmed (booked)"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn (the entry was removed)"


class WaitlistOffer(ClinicOwnedModel):
    """A freed slot offered to one entry until ``expires_at``; confirming it books the appointment."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["clinic", "start"], name="waitlist_offer_clinic_start"),
            # The expiry scan of the Beat task.
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="waitlist_offer_pending_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="waitlist_offer_start_before_end"),
            # The hold: while pending, nobody else is offered this slot.
            models.UniqueConstraint(
                fields=["practitioner", "start"], condition=Q(status="pending"), name="waitlist_offer_slot_held"
            ),
            # One live offer per entry at a time.
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="pending"), name="waitlist_offer_one_pending_per_entry"
            ),
            # A slot is offered to an entry once: an expired or declined offer passes to the next entry.
            models.UniqueConstraint(fields=["entry", "practitioner", "start"], name="waitlist_offer_once_per_entry"),
        ]

    def __str__(self) -> str:
        return f"waitlist offer {self.pk} ({self.status})"


class WaitlistOfferNotification(ClinicOwnedModel):
    """The message of an offer on one channel (the reminder channels); unique per (offer, channel).

    Delivered like reminders: claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``,
    sent, and marked sent in that transaction, so it goes out once.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    offer = models.ForeignKey(WaitlistOffer, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)  # contact data: never logged
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status"], condition=Q(status__in=["queued", "failed"]), name="waitlist_notif_pending"
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["offer", "channel"], name="waitlist_notif_once_per_channel")]

    def __str__(self) -> str:
        return f"offer message by {self.channel} for {self.offer_id} ({self.status})"


class WaitlistSettings(ClinicOwnedModel):
    """Per-clinic waitlist settings; a clinic without a row uses the defaults."""

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    offer_hold_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_OFFER_HOLD_MINUTES, help_text="How long an offer holds its slot for the patient"
    )

    class Meta:
        verbose_name_plural = "waitlist settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(offer_hold_minutes__gte=5, offer_hold_minutes__lte=1440), name="waitlist_hold_range"
            )
        ]

    def __str__(self) -> str:
        return f"waitlist settings of {self.clinic_id}"
