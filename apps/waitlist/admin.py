from django.contrib import admin

from apps.waitlist.models import WaitlistEntry, WaitlistOffer, WaitlistSettings


@admin.register(WaitlistSettings)
class WaitlistSettingsAdmin(admin.ModelAdmin[WaitlistSettings]):
    """Where a clinic's offer hold time is set (default 30 minutes)."""

    list_display = ["clinic", "offer_hold_minutes"]
    list_select_related = ["clinic"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin[WaitlistEntry]):
    """Support view, read-only: entries change through the API, which audits them."""

    list_display = ["id", "clinic", "status", "priority", "date_from", "date_to", "created_at"]
    list_filter = ["status", "priority", "clinic"]
    list_select_related = ["clinic"]
    show_full_result_count = False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(admin.ModelAdmin[WaitlistOffer]):
    """Support view, read-only."""

    list_display = ["id", "clinic", "status", "start", "expires_at"]
    list_filter = ["status", "clinic"]
    list_select_related = ["clinic"]
    show_full_result_count = False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
