"""Registering, changing and archiving patients; duplicates are refused unless overridden."""

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import AuditTarget, audit_entry, audit_record
from apps.audit.services import audit_record_many
from apps.clinics.models import Clinic
from apps.clinics.services import clinic_counter_next
from apps.core.errors import ApplicationError, ConflictError, ForbiddenError
from apps.core.roles import Role, role_may
from apps.core.services import model_update
from apps.jobs.services import job_enqueue
from apps.patients.events import PatientEvent
from apps.patients.models import Patient, PatientExport
from apps.patients.search import (
    DUPLICATE_NAME_SIMILARITY,
    format_mrn,
    phone_e164,
    search_name_of,
    trigram_similarity,
)


@dataclass(frozen=True)
class DuplicateCandidate:
    id: str
    given_name: str
    family_name: str
    date_of_birth: str
    mrn: str


def _normalise_phones(data: dict[str, Any], clinic: Clinic) -> None:
    for name in ("phone", "emergency_contact_phone"):
        raw = data.get(name)
        if raw:
            e164 = phone_e164(raw, clinic.country)
            if e164 is None:
                raise ApplicationError(
                    "Invalid phone number.", fields={name: ["Not a valid phone number for this clinic's country."]}
                )
            data[name] = e164


def _lock_birth_date(clinic_id: Any, date_of_birth: date) -> None:
    # Two concurrent registrations of one person must not both pass the
    # duplicate check: serialise creates per clinic and birth date.
    if connection.vendor == "postgresql":
        digest = hashlib.blake2b(f"{clinic_id}:{date_of_birth}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def patient_duplicates(
    *, clinic_id: Any, given_name: str, family_name: str, date_of_birth: date, phone: str, exclude_id: Any = None
) -> list[DuplicateCandidate]:
    """Patients of the clinic with the same birth date and a similar name or the same phone.

    A clinic has few patients per birth date, so the name comparison runs on
    that handful in Python, identically on PostgreSQL and SQLite.
    """
    wanted = search_name_of(given_name, family_name)
    same_day = Patient.objects.filter(clinic_id=clinic_id, date_of_birth=date_of_birth)
    if exclude_id is not None:
        same_day = same_day.exclude(pk=exclude_id)
    found = []
    for other in same_day.only("id", "given_name", "family_name", "date_of_birth", "mrn", "phone", "search_name"):
        similar = trigram_similarity(wanted, other.search_name) >= DUPLICATE_NAME_SIMILARITY
        if similar or (phone and other.phone == phone):
            found.append(
                DuplicateCandidate(
                    id=str(other.pk),
                    given_name=other.given_name,
                    family_name=other.family_name,
                    date_of_birth=other.date_of_birth.isoformat(),
                    mrn=other.mrn,
                )
            )
    return found


def _check_duplicates(
    *, actor: User, role: Role, patient: Patient, override_reason: str, exclude_id: Any = None
) -> list[DuplicateCandidate]:
    if override_reason and not role_may(role, "patients", "override_duplicate"):
        raise ForbiddenError(f"Your role ({role.value}) may not override the duplicate check.")
    candidates = patient_duplicates(
        clinic_id=patient.clinic_id,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        phone=patient.phone,
        exclude_id=exclude_id,
    )
    if candidates and not override_reason:
        raise PossibleDuplicate(candidates)
    return candidates


class PossibleDuplicate(ConflictError):
    """The 409 of the duplicate check; ``candidates`` are the other patients it shows."""

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__(
            "This looks like a patient the clinic already has.",
            code="possible_duplicate",
            extra={"candidates": [c.__dict__ for c in candidates]},
        )
        self.candidates = candidates


def _audit_candidates_shown(*, actor: User, clinic_id: Any, refused: PossibleDuplicate, subject: Any = None) -> None:
    # Runs after the refused write rolled back: the 409 still shows other
    # patients' names, birth dates and MRNs, so each shown patient gets an event.
    audit_record_many(
        audit_entry(
            actor=actor,
            obj=AuditTarget(resource_type="patient", resource_id=candidate.id, clinic_id=clinic_id),
            event=PatientEvent.DUPLICATE_CANDIDATES,
            changes={"attempt": "update" if subject else "create", "subject": str(subject or "")},
        )
        for candidate in refused.candidates
    )


def patient_create(
    *, actor: User, role: Role, clinic: Clinic, data: dict[str, Any], override_duplicate_reason: str = ""
) -> Patient:
    """Register a patient with the clinic's next MRN, refusing likely duplicates (409).

    A refusal is audited after its rollback: the candidates it shows are a disclosure.
    """
    try:
        return _patient_create(
            actor=actor, role=role, clinic=clinic, data=data, override_duplicate_reason=override_duplicate_reason
        )
    except PossibleDuplicate as refused:
        _audit_candidates_shown(actor=actor, clinic_id=clinic.pk, refused=refused)
        raise


@transaction.atomic
def _patient_create(
    *, actor: User, role: Role, clinic: Clinic, data: dict[str, Any], override_duplicate_reason: str
) -> Patient:
    data = dict(data)
    _normalise_phones(data, clinic)
    patient = Patient(clinic=clinic, created_by=actor, updated_by=actor, **data)
    patient.search_name = search_name_of(patient.given_name, patient.family_name)
    _lock_birth_date(clinic.pk, patient.date_of_birth)
    candidates = _check_duplicates(actor=actor, role=role, patient=patient, override_reason=override_duplicate_reason)
    patient.mrn = format_mrn(clinic_counter_next(clinic_id=clinic.pk, key="mrn"))
    patient.full_clean()
    patient.save()
    audit_record(actor=actor, obj=patient, event=PatientEvent.CREATE, changes={"fields": sorted(data)})
    if candidates:
        overridden = {"reason": override_duplicate_reason, "candidates": [c.id for c in candidates]}
        audit_record(actor=actor, obj=patient, event=PatientEvent.DUPLICATE_OVERRIDE, changes=overridden)
    return patient


def patient_update(
    *, actor: User, role: Role, patient: Patient, changes: dict[str, Any], override_duplicate_reason: str = ""
) -> Patient:
    """Change demographics; a change of name, birth date or phone is checked for duplicates again.

    A refusal is audited after its rollback, as for a create. The row is
    locked and read afresh, and only the changed columns are written, so a
    concurrent merge or edit is neither lost nor undone.
    """
    try:
        return _patient_update(
            actor=actor,
            role=role,
            patient=patient,
            changes=changes,
            override_duplicate_reason=override_duplicate_reason,
        )
    except PossibleDuplicate as refused:
        _audit_candidates_shown(actor=actor, clinic_id=patient.clinic_id, refused=refused, subject=patient.pk)
        raise


@transaction.atomic
def _patient_update(
    *, actor: User, role: Role, patient: Patient, changes: dict[str, Any], override_duplicate_reason: str
) -> Patient:
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    changes = dict(changes)
    _normalise_phones(changes, patient.clinic)
    # Saved below, after the duplicate check: a refused change must not touch the row.
    changed = model_update(instance=patient, data=changes, extra={"updated_by": actor}, save=False)
    if not changed:
        return patient
    patient.search_name = search_name_of(patient.given_name, patient.family_name)
    candidates: list[DuplicateCandidate] = []
    if {"given_name", "family_name", "date_of_birth", "phone"} & set(changed):
        _lock_birth_date(patient.clinic_id, patient.date_of_birth)
        candidates = _check_duplicates(
            actor=actor, role=role, patient=patient, override_reason=override_duplicate_reason, exclude_id=patient.pk
        )
    patient.full_clean()
    patient.save(update_fields=[*changed, "search_name", "updated_by", "updated_at"])
    # Field names only: the values are personal data.
    audit_record(actor=actor, obj=patient, event=PatientEvent.UPDATE, changes={"fields": changed})
    if candidates:
        overridden = {"reason": override_duplicate_reason, "candidates": [c.id for c in candidates]}
        audit_record(actor=actor, obj=patient, event=PatientEvent.DUPLICATE_OVERRIDE, changes=overridden)
    return patient


@transaction.atomic
def patient_archive(*, actor: User, patient: Patient) -> Patient:
    """Archive (never delete): the record stays, hidden from lists by default."""
    if not patient.active:
        return patient
    patient.active = False
    patient.archived_at = timezone.now()
    patient.updated_by = actor
    patient.save(update_fields=["active", "archived_at", "updated_by", "updated_at"])
    audit_record(actor=actor, obj=patient, event=PatientEvent.ARCHIVE)
    return patient


@transaction.atomic
def patient_export_request(*, actor: User, clinic_id: Any, export_format: str) -> PatientExport:
    """Record the request and its job in one transaction; the job is sent once that commits.

    The outbox (apps.jobs) makes this answer even with the broker down: the
    export then stays queued until the sweeper sends it.
    """
    export = PatientExport.objects.create(clinic_id=clinic_id, requested_by=actor, format=export_format)
    audit_record(actor=actor, obj=export, event=PatientEvent.EXPORT_REQUEST, changes={"format": export_format})
    job_enqueue(task="apps.patients.tasks.run_patient_export", args=[str(export.pk)])
    return export
