"""Merging a duplicate patient record into the surviving one, and undoing it exactly.

Every row of any app that points at the merged record (appointments,
invoices, reminder preferences, and whatever later apps add) is found from
the model graph, so a new reference cannot be forgotten. The rows that moved
are listed in the merge record; unmerge moves exactly those back. A
one-to-one reference the survivor already has (e.g. its own reminder
preference) stays with the merged record. Exports keep what they wrote.
Both patients' rows are locked, in id order, for the whole merge or unmerge,
so concurrent edits of either wait and then see the result.
"""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.core.errors import ApplicationError, ConflictError
from apps.patients.events import PatientEvent
from apps.patients.models import Patient, PatientMerge


def _references() -> list[tuple[type[models.Model], Any]]:
    """Every (model, foreign key) outside this module's bookkeeping that points at Patient."""
    found: list[tuple[type[models.Model], Any]] = []
    for relation in Patient._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        model = relation.related_model
        if not isinstance(model, type) or model in (Patient, PatientMerge):
            continue
        found.append((model, relation.remote_field))
    return found


def _key(model: type[models.Model], field: Any) -> str:
    return f"{model._meta.label_lower}.{field.name}"


def _lock_pair(first_id: Any, second_id: Any) -> dict[Any, Patient]:
    ids = sorted([first_id, second_id], key=str)
    rows = Patient.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {patient.pk: patient for patient in rows}


@transaction.atomic
def patient_merge(*, actor: User, survivor: Patient, merged: Patient, reason: str) -> PatientMerge:
    """Move every reference of ``merged`` to ``survivor``; ``merged`` stays, inactive, pointing at the survivor."""
    if not reason.strip():
        raise ApplicationError("Say why these are one person.", code="invalid", fields={"reason": ["Required."]})
    if survivor.pk == merged.pk:
        raise ApplicationError("A record cannot be merged into itself.", code="merge_same_patient")
    if survivor.clinic_id != merged.clinic_id:
        raise ApplicationError("Both records must belong to one clinic.", code="merge_other_clinic")
    locked = _lock_pair(survivor.pk, merged.pk)
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if merged.merged_into_id is not None or survivor.merged_into_id is not None:
        raise ConflictError("One of these records is already merged.", code="already_merged")
    moved: dict[str, list[str]] = {}
    try:
        with transaction.atomic():
            for model, field in _references():
                rows = model._default_manager.filter(**{field.name: merged.pk})
                if field.one_to_one and model._default_manager.filter(**{field.name: survivor.pk}).exists():
                    continue  # the survivor has its own; this one stays behind (and comes back on unmerge)
                ids = [str(pk) for pk in rows.values_list("pk", flat=True)]
                if ids:
                    rows.update(**{field.name: survivor.pk})
                    moved[_key(model, field)] = ids
    except IntegrityError:
        # e.g. both records booked at overlapping times: the database refuses the moved appointment.
        raise ConflictError(
            "The records cannot be merged: their appointments overlap. Cancel one first.", code="merge_conflict"
        ) from None
    now = timezone.now()
    previous_state = {
        "active": merged.active,
        "archived_at": merged.archived_at.isoformat() if merged.archived_at else None,
    }
    merged.merged_into = survivor
    merged.active = False
    merged.archived_at = merged.archived_at or now
    merged.updated_by = actor
    merged.save(update_fields=["merged_into", "active", "archived_at", "updated_by", "updated_at"])
    record = PatientMerge.objects.create(
        clinic_id=survivor.clinic_id,
        survivor=survivor,
        merged=merged,
        reason=reason,
        moved=moved,
        previous_state=previous_state,
        merged_by=actor,
    )
    audit_record(
        actor=actor,
        obj=survivor,
        event=PatientEvent.MERGE,
        changes={"merged": str(merged.pk), "moved": {key: len(ids) for key, ids in moved.items()}},
    )
    return record


@transaction.atomic
def patient_unmerge(*, actor: User, merged: Patient) -> PatientMerge:
    """Undo the merge of ``merged``: exactly the rows that moved go back, and the record is active again."""
    record = PatientMerge.objects.select_for_update().filter(merged_id=merged.pk, unmerged_at__isnull=True).first()
    if record is None:
        raise ConflictError("This record is not merged.", code="not_merged")
    locked = _lock_pair(record.survivor_id, record.merged_id)
    merged = locked[record.merged_id]
    by_key = {_key(model, field): (model, field) for model, field in _references()}
    for key, ids in record.moved.items():
        model, field = by_key[key]
        model._default_manager.filter(pk__in=ids).update(**{field.name: merged.pk})
    merged.merged_into = None
    merged.active = record.previous_state.get("active", True)
    archived_at = record.previous_state.get("archived_at")
    merged.archived_at = datetime.fromisoformat(archived_at) if archived_at else None
    merged.updated_by = actor
    merged.save(update_fields=["merged_into", "active", "archived_at", "updated_by", "updated_at"])
    record.unmerged_at = timezone.now()
    record.unmerged_by = actor
    record.save(update_fields=["unmerged_at", "unmerged_by", "updated_at"])
    audit_record(
        actor=actor,
        obj=merged,
        event=PatientEvent.UNMERGE,
        changes={"survivor": str(record.survivor_id), "merge": str(record.pk)},
    )
    return record
