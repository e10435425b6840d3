"""Practitioners' availability, appointments, and the reminders sent about them.

Times of day (availability) are wall-clock times in the clinic's time zone;
instants (appointments, notifications) are stored in UTC.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import ClinicOwnedModel

# A booking longer than this is a typo (or a 30-day "appointment"); the bound
# also lets overlap lookups use a plain btree range on (practitioner, start).
MAX_APPOINTMENT_DURATION = timedelta(hours=8)
MIN_APPOINTMENT_DURATION = timedelta(minutes=5)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Availability(ClinicOwnedModel):
    """A practitioner's recurring weekly hours in one clinic, cut into slots of ``slot_minutes``."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(help_text="Local time of the clinic")
    end_time = models.TimeField(help_text="Local time of the clinic")
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["weekday", "start_time", "id"]
        verbose_name_plural = "availability"
        indexes = [models.Index(fields=["clinic", "practitioner", "weekday"], name="sched_avail_clinic_pract")]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")), name="sched_avail_start_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sched_avail_weekday_range"),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=480), name="sched_avail_slot_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ExceptionKind(models.TextChoices):
    UNAVAILABLE = "unavailable", "Unavailable (day off or hours off)"
    AVAILABLE = "available", "Extra hours"


class AvailabilityException(ClinicOwnedModel):
    """A change to the weekly hours on one local date: time off (all day without times) or extra hours."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(help_text="Local date of the clinic")
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "start_time", "id"]
        indexes = [models.Index(fields=["clinic", "practitioner", "date"], name="sched_exc_clinic_pract_date")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(start_time__isnull=True, end_time__isnull=True)
                    | Q(start_time__isnull=False, end_time__isnull=False, start_time__lt=models.F("end_time"))
                ),
                name="sched_exc_times_pair",
            ),
            models.CheckConstraint(
                condition=~Q(kind="available") | Q(start_time__isnull=False, slot_minutes__isnull=False),
                name="sched_exc_available_has_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.date}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# The statuses that hold the practitioner's (and the patient's) time. The
# PostgreSQL exclusion constraints (migration 0002) use the same list.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)

# Names of the exclusion constraints; the services map a violation of each to its 409 code.
PRACTITIONER_OVERLAP_CONSTRAINT = "sched_appt_practitioner_no_overlap"
PATIENT_OVERLAP_CONSTRAINT = "sched_appt_patient_no_overlap"


class AppointmentSeries(ClinicOwnedModel):
    """A recurring booking (an RRULE subset, apps.scheduling.recurrence); each occurrence is a real Appointment.

    The rule and the local wall-clock time are kept so the series can be read
    back and shown in feeds; the occurrences themselves are the truth.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rrule = models.CharField(max_length=200, help_text="Normal form, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10")
    first_start = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["first_start", "id"]
        verbose_name_plural = "appointment series"
        indexes = [models.Index(fields=["clinic", "first_start"], name="sched_series_clinic_start")]

    def __str__(self) -> str:
        return f"series {self.pk} ({self.rrule})"


class Appointment(ClinicOwnedModel):
    """A patient's visit with a practitioner in a clinic, from ``start`` to ``end`` (UTC, end exclusive)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+", db_index=False)
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    reason = models.CharField(max_length=500, blank=True, help_text="Reason for the visit")
    # Legacy: front-desk remarks and clinical content in one field. Readable for one release by
    # the roles that read clinical notes only; new remarks go to front_desk_note, clinical
    # content to the visit (apps.visits). Dropped in the release after (docs/decisions.md).
    notes = models.TextField(blank=True, max_length=2000)
    # db_default: the previous release inserts rows without this column (zero-downtime deploys).
    front_desk_note = models.CharField(
        max_length=500,
        blank=True,
        default="",
        db_default="",
        help_text="A remark for the front desk (no clinical content)",
    )
    cancellation_reason = models.CharField(max_length=500, blank=True)
    outside_availability = models.BooleanField(default=False, help_text="Booked with an availability override")
    # Bumped on every change a calendar must pick up (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    # Indexed by a concurrent partial index (migration 0007), not by the field: the table is large.
    series = models.ForeignKey(
        AppointmentSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences", db_index=False
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            # A practitioner's week, the free-slot lookup and the overlap check.
            models.Index(fields=["practitioner", "start"], name="sched_appt_practitioner_start"),
            models.Index(fields=["clinic", "start"], name="sched_appt_clinic_start"),
            models.Index(fields=["patient", "start"], name="sched_appt_patient_start"),
            # The reminder scan: booked appointments starting soon.
            models.Index(fields=["start"], condition=Q(status="booked"), name="sched_appt_booked_start"),
            models.Index(fields=["series", "start"], condition=Q(series__isnull=False), name="sched_appt_series_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="sched_appt_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk} ({self.status})"


class SchedulingSettings(ClinicOwnedModel):
    """Per-clinic scheduling settings; a clinic without a row uses the defaults."""

    clinic = models.OneToOneField("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    reminder_window_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Remind patients of appointments starting within this many hours"
    )
    check_in_opens_minutes = models.PositiveSmallIntegerField(
        default=120, db_default=120, help_text="Patients may check in from this many minutes before the start"
    )

    class Meta:
        verbose_name_plural = "scheduling settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_window_hours__gte=1, reminder_window_hours__lte=168), name="sched_window_range"
            ),
            models.CheckConstraint(condition=Q(check_in_opens_minutes__lte=1440), name="sched_check_in_opens_range"),
        ]

    def __str__(self) -> str:
        return f"scheduling settings of {self.clinic_id}"


class ReminderPreference(ClinicOwnedModel):
    """A patient's choice about reminders (kept here, not on Patient: scheduling owns reminders)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    patient = models.OneToOneField("patients.Patient", on_delete=models.CASCADE, related_name="+")
    opted_out = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["clinic", "patient"], name="sched_pref_clinic_patient")]

    def __str__(self) -> str:
        return f"reminder preference of {self.patient_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", "Appointment reminder"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(ClinicOwnedModel):
    """One message about an appointment on one channel; unique per (appointment, channel, kind).

    The row is the sent-marker: its status becomes ``sent`` in the same
    transaction that holds its row lock while the message goes out.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices, default=NotificationKind.REMINDER)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)  # contact data: never logged
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "created_at"], name="sched_notif_clinic_created"),
            models.Index(fields=["status"], condition=Q(status__in=["queued", "failed"]), name="sched_notif_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "channel", "kind"], name="sched_notif_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} for {self.appointment_id} ({self.status})"


class CalendarFeed(ClinicOwnedModel):
    """A secret, revocable subscription URL to one practitioner's appointments in one clinic.

    Calendar apps send no headers, so the token is in the URL; only its
    SHA-256 is stored (a database leak does not leak live URLs). At most one
    live feed per practitioner and clinic: issuing again rotates it.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "practitioner"], name="sched_feed_clinic_pract")]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "practitioner"], condition=Q(revoked_at__isnull=True), name="sched_feed_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"calendar feed of {self.practitioner_id} ({'revoked' if self.revoked_at else 'live'})"
