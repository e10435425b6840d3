"""The audit vocabulary of scheduling: appointments, availability, reminder opt-outs."""

from django.db import models


class SchedulingEvent(models.TextChoices):
    """Audit actions recorded by apps.scheduling (the stored value is the ``action``)."""

    APPOINTMENT_BOOK = "appointment.book", "Appointment booked"
    APPOINTMENT_UPDATE = "appointment.update", "Appointment changed"
    APPOINTMENT_RESCHEDULE = "appointment.reschedule", "Appointment moved"
    APPOINTMENT_AVAILABILITY_OVERRIDE = "appointment.availability_override", "Booked outside availability"
    APPOINTMENT_CHECK_IN = "appointment.check_in", "Patient checked in"
    APPOINTMENT_COMPLETE = "appointment.complete", "Appointment completed"
    APPOINTMENT_CANCEL = "appointment.cancel", "Appointment cancelled"
    APPOINTMENT_NO_SHOW = "appointment.no_show", "Patient did not show"
    # Reads: an appointment ties a patient to a time, a practitioner and a reason.
    APPOINTMENT_READ = "appointment.read", "Appointment read"
    APPOINTMENT_LIST = "appointment.list", "Appointments listed"
    APPOINTMENT_CALENDAR = "appointment.calendar", "Calendar feed read"
    AVAILABILITY_CREATE = "availability.create", "Availability added"
    AVAILABILITY_UPDATE = "availability.update", "Availability changed"
    AVAILABILITY_DELETE = "availability.delete", "Availability removed"
    AVAILABILITY_EXCEPTION_CREATE = "availability_exception.create", "Availability exception added"
    AVAILABILITY_EXCEPTION_DELETE = "availability_exception.delete", "Availability exception removed"
    REMINDER_PREFERENCE = "patient.reminder_preference", "Reminder preference set"
    SERIES_BOOK = "appointment_series.book", "Appointment series booked"
    SERIES_CANCEL = "appointment_series.cancel", "Appointment series cancelled (all or from one occurrence)"
    SERIES_MOVE = "appointment_series.move", "Appointment series moved (all or from one occurrence)"
    CALENDAR_FEED_ISSUE = "calendar_feed.issue", "Calendar subscription URL issued"
    CALENDAR_FEED_REVOKE = "calendar_feed.revoke", "Calendar subscription URL revoked or rotated"
    CALENDAR_FEED_READ = "calendar_feed.read", "Calendar subscription read through its URL"
