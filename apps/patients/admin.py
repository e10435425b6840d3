from django.contrib import admin

from apps.patients.models import Patient, PatientExport


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin[Patient]):
    """Support view of patients. Edits here bypass the API's duplicate check and audit: read-mostly."""

    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "clinic", "active"]
    list_filter = ["active", "sex", "clinic"]
    search_fields = ["=mrn", "family_name", "given_name", "=phone"]
    list_select_related = ["clinic"]
    readonly_fields = ["mrn", "search_name", "created_by", "updated_by", "created_at", "updated_at", "archived_at"]
    show_full_result_count = False  # COUNT(*) over a million patients on every page is slow


@admin.register(PatientExport)
class PatientExportAdmin(admin.ModelAdmin[PatientExport]):
    list_display = ["id", "clinic", "format", "status", "row_count", "requested_by", "created_at"]
    list_filter = ["status", "format"]
    readonly_fields = [f.name for f in PatientExport._meta.fields]
