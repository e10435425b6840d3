from django.contrib import admin

from apps.scheduling.models import (
    Appointment,
    Availability,
    AvailabilityException,
    Notification,
    ReminderPreference,
    SchedulingSettings,
)


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin[Availability]):
    list_display = ["practitioner", "clinic", "weekday", "start_time", "end_time", "slot_minutes"]
    list_filter = ["weekday", "clinic"]
    list_select_related = ["practitioner", "clinic"]
    raw_id_fields = ["practitioner", "created_by"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin[AvailabilityException]):
    list_display = ["practitioner", "clinic", "date", "kind", "start_time", "end_time"]
    list_filter = ["kind", "clinic"]
    list_select_related = ["practitioner", "clinic"]
    raw_id_fields = ["practitioner", "created_by"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    """Support view. Edits here bypass the API's checks and audit (the database still refuses overlaps)."""

    list_display = ["id", "start", "end", "status", "clinic", "practitioner"]
    list_filter = ["status", "clinic"]
    list_select_related = ["clinic", "practitioner"]
    raw_id_fields = ["patient", "practitioner", "created_by", "updated_by"]
    readonly_fields = ["created_at", "updated_at", "checked_in_at", "completed_at", "cancelled_at", "sequence"]
    date_hierarchy = "start"
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["id", "kind", "channel", "status", "attempts", "error", "sent_at", "clinic"]
    list_filter = ["status", "channel", "kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    show_full_result_count = False


@admin.register(SchedulingSettings)
class SchedulingSettingsAdmin(admin.ModelAdmin[SchedulingSettings]):
    list_display = ["clinic", "reminder_window_hours"]


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin[ReminderPreference]):
    list_display = ["patient", "clinic", "opted_out", "updated_at"]
    list_filter = ["opted_out"]
    raw_id_fields = ["patient", "updated_by"]
