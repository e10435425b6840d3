"""The audit vocabulary of patients: writes, and every read or disclosure of their data."""

from django.db import models


class PatientEvent(models.TextChoices):
    """Audit actions recorded by apps.patients (the stored value is the ``action``)."""

    CREATE = "patient.create", "Patient registered"
    UPDATE = "patient.update", "Demographics changed"
    ARCHIVE = "patient.archive", "Patient archived"
    DUPLICATE_OVERRIDE = "patient.duplicate_override", "Duplicate check overridden"
    # The 409 of the duplicate check shows other patients' names, birth dates and MRNs.
    DUPLICATE_CANDIDATES = "patient.duplicate_candidates", "Possible duplicates shown"
    READ = "patient.read", "Patient read"
    LIST = "patient.list", "Patients listed"
    SEARCH = "patient.search", "Patients searched"
    # A 403/404 on a patient route: ``changes.outcome`` says which.
    ACCESS_DENIED = "patient.access_denied", "Patient access refused"
    EXPORT_REQUEST = "patient.export_request", "Export requested"
    EXPORT = "patient.export", "Export written"
    EXPORT_DOWNLOAD = "patient.export_download", "Export downloaded"
    MERGE = "patient.merge", "Duplicate record merged into this one"
    UNMERGE = "patient.unmerge", "Merge undone"
