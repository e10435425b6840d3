"""Patients in the admin: audited like the API, changed only through the services, never moved or deleted."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from apps.accounts.models import User
from apps.audit.record import audit_record, audit_record_reads
from apps.core.admin import SuperuserOnlyAdmin, clinic_time_zone, local_time
from apps.core.errors import ApplicationError
from apps.core.roles import Role
from apps.patients import services
from apps.patients.events import PatientEvent
from apps.patients.models import DEMOGRAPHIC_FIELDS, Patient, PatientExport
from apps.patients.selectors import SearchTooShort, clinic_regions, patient_search

# The admin acts as a clinic admin would (duplicate check, override rules).
ADMIN_ROLE = Role.ADMIN
EDITABLE = ["clinic", *DEMOGRAPHIC_FIELDS]


class PatientAdminForm(forms.ModelForm):
    override_duplicate_reason = forms.CharField(
        required=False,
        max_length=500,
        help_text="Only if the duplicate check refuses this record and it really is another person.",
    )

    class Meta:
        model = Patient
        fields = EDITABLE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        clinic = data.get("clinic") or getattr(self.instance, "clinic", None)
        needed = ("given_name", "family_name", "date_of_birth")
        if clinic is None or any(not data.get(name) for name in needed) or data.get("override_duplicate_reason"):
            return data
        candidates = services.patient_duplicates(
            clinic_id=clinic.pk,
            given_name=data["given_name"],
            family_name=data["family_name"],
            date_of_birth=data["date_of_birth"],
            phone=data.get("phone", ""),
            exclude_id=self.instance.pk,
        )
        if candidates:
            self.duplicate_candidates = candidates
            mrns = ", ".join(candidate.mrn for candidate in candidates)
            raise forms.ValidationError(
                f"Likely the same person as {mrns}. Give an override reason if this is someone else.",
                code="possible_duplicate",
            )
        return data


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "the admin is for signed-in staff"
    return request.user


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin[Patient]):
    """Support view of patients: every list and record shown is audited; saves go through the services."""

    form = PatientAdminForm
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "clinic", "active", "created"]
    list_filter = ["active", "sex", "clinic"]
    search_fields = ["family_name"]  # the search itself is the API's (get_search_results)
    search_help_text = "Name (typos allowed), phone, MRN or birth date (YYYY-MM-DD), as in the API."
    list_select_related = ["clinic"]
    readonly_fields = ["mrn", "active", "archived_at", "created_by", "updated_by", "created_at", "updated_at"]
    actions = ["archive_patients"]
    show_full_result_count = False  # COUNT(*) over a million patients on every page is slow

    @admin.display(description="created (clinic time)")
    def created(self, patient: Patient) -> str:
        return local_time(patient.created_at, patient.clinic.time_zone)

    def get_readonly_fields(self, request: HttpRequest, obj: Patient | None = None) -> list[str]:
        # A patient never moves between clinics: tenancy and MRNs belong to one clinic.
        return [*self.readonly_fields, "clinic"] if obj is not None else list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the API archives instead; so does the admin (action below)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Patient], search_term: str
    ) -> tuple[QuerySet[Patient], bool]:
        if not search_term.strip():
            return queryset, False
        clinic_ids = list(queryset.values_list("clinic_id", flat=True).distinct())
        try:
            return patient_search(
                queryset=queryset, text=search_term, regions=clinic_regions(clinic_ids=clinic_ids)
            ), False
        except SearchTooShort as error:
            self.message_user(request, str(error), messages.WARNING)
            return queryset.none(), False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if isinstance(response, TemplateResponse) else None
        if changelist is not None:
            shown = list(changelist.result_list)
            query = {"admin_search": "yes"} if changelist.query else {}
            clinic_ids = sorted({patient.clinic_id for patient in shown}, key=str)
            audit_record_reads(
                actor=_actor(request),
                event=PatientEvent.LIST,
                model=Patient,
                rows=shown,
                clinic_ids=clinic_ids,
                query=query,
            )
        return response

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        patient = self.get_object(request, object_id) if object_id else None
        try:
            with clinic_time_zone(patient.clinic.time_zone if patient else None):
                response = super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            # A refusal of the service (e.g. a duplicate registered meanwhile): nothing was saved.
            self.message_user(request, f"Not saved: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        if patient is not None and request.method == "GET":
            audit_record(actor=_actor(request), obj=patient, event=PatientEvent.READ)
        return response

    def save_model(self, request: HttpRequest, obj: Patient, form: forms.ModelForm, change: bool) -> None:
        reason = form.cleaned_data.get("override_duplicate_reason", "")
        data = {name: form.cleaned_data[name] for name in EDITABLE if name != "clinic" and name in form.cleaned_data}
        actor = _actor(request)
        if change:
            current = Patient.objects.select_related("clinic").get(pk=obj.pk)
            changes = {name: data[name] for name in form.changed_data if name in data}
            saved = services.patient_update(
                actor=actor, role=ADMIN_ROLE, patient=current, changes=changes, override_duplicate_reason=reason
            )
        else:
            saved = services.patient_create(
                actor=actor, role=ADMIN_ROLE, clinic=obj.clinic, data=data, override_duplicate_reason=reason
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description="Archive selected patients")
    def archive_patients(self, request: HttpRequest, queryset: QuerySet[Patient]) -> None:
        actor = _actor(request)
        for patient in queryset.select_related("clinic"):
            services.patient_archive(actor=actor, patient=patient)
        self.message_user(request, "Archived.", messages.SUCCESS)


@admin.register(PatientExport)
class PatientExportAdmin(SuperuserOnlyAdmin):
    list_display = ["id", "clinic", "format", "status", "row_count", "requested_by", "created_at"]
    list_filter = ["status", "format"]
    readonly_fields = [f.name for f in PatientExport._meta.fields]
