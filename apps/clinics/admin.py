from django.contrib import admin

from apps.clinics.models import Clinic, Membership


class MembershipInline(admin.TabularInline[Membership, Clinic]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin[Clinic]):
    list_display = ["name", "slug", "time_zone", "currency", "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["currency", "time_zone"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "clinic", "role", "created_at"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__email", "clinic__name"]
    list_select_related = ["user", "clinic"]
    autocomplete_fields = ["user", "clinic"]
