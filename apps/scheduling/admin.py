from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from apps.core.admin import SuperuserOnlyAdmin, clinic_time_zone, local_time
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

    list_display = ["id", "starts", "ends", "status", "clinic", "practitioner"]
    list_filter = ["status", "clinic"]
    list_select_related = ["clinic", "practitioner"]
    raw_id_fields = ["patient", "practitioner", "created_by", "updated_by"]
    readonly_fields = ["created_at", "updated_at", "checked_in_at", "completed_at", "cancelled_at", "sequence"]
    date_hierarchy = "start"
    show_full_result_count = False

    @admin.display(description="start (clinic time)", ordering="start")
    def starts(self, appointment: Appointment) -> str:
        return local_time(appointment.start, appointment.clinic.time_zone)

    @admin.display(description="end (clinic time)", ordering="end")
    def ends(self, appointment: Appointment) -> str:
        return local_time(appointment.end, appointment.clinic.time_zone)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        appointment = self.get_object(request, object_id) if object_id else None
        with clinic_time_zone(appointment.clinic.time_zone if appointment else None):
            return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(Notification)
class NotificationAdmin(SuperuserOnlyAdmin):
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
