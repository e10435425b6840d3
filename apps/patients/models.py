"""Patients of a clinic, and the exports of them."""

from django.conf import settings
from django.db import models

from apps.core.models import ClinicOwnedModel


class Sex(models.TextChoices):
    # FHIR AdministrativeGender
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


# The fields staff enter and change; exports and the API list them in this order.
DEMOGRAPHIC_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address_line",
    "city",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_phone",
)


class Patient(ClinicOwnedModel):
    """A clinic's patient. Never hard-deleted through the API: archiving clears ``active``.

    ``search_name`` is the name folded for search (lower case, no accents),
    written by the services; PostgreSQL indexes it with trigrams.
    """

    # No index of its own: every composite index below starts with clinic.
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="patients", db_index=False)
    mrn = models.CharField("medical record number", max_length=20)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    search_name = models.CharField(max_length=201, editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when this record was merged into another (apps/patients/merge.py); it stays, inactive.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", db_index=False
    )

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [models.UniqueConstraint(fields=["clinic", "mrn"], name="patients_mrn_unique_per_clinic")]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name", "id"], name="patients_clinic_name"),
            models.Index(fields=["clinic", "date_of_birth"], name="patients_clinic_dob"),
            models.Index(fields=["clinic", "phone"], name="patients_clinic_phone"),
        ]

    def __str__(self) -> str:
        return f"Patient {self.mrn}"  # no names: str() ends up in logs


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    FHIR = "fhir", "FHIR Bundle (ndjson)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PatientExport(ClinicOwnedModel):
    """A requested export of all a clinic's patients; only its requester may download it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    file_name = models.CharField(max_length=200, blank=True)
    row_count = models.IntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"


class PatientMerge(ClinicOwnedModel):
    """One merge of a duplicate record into the surviving one, with exactly what moved (for unmerge)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=1000)
    # {"app_label.model.field": [ids moved]}; ids left behind because the survivor had its own are not listed.
    moved = models.JSONField(default=dict)
    # The merged record's own state before the merge ({"active", "archived_at"}), restored by unmerge.
    previous_state = models.JSONField(default=dict)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # A record is merged away at most once at a time.
            models.UniqueConstraint(
                fields=["merged"], condition=models.Q(unmerged_at__isnull=True), name="patients_merge_once"
            )
        ]

    def __str__(self) -> str:
        return f"merge {self.pk}"
