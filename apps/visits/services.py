"""Writes to visit records: open (one per appointment), edit while open, sign, addenda.

Only the appointment's practitioner writes its record (DESIGN.md: clinical
notes rw own). Completion and charge capture are in apps.visits.capture.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.models import CatalogItem
from apps.core.errors import ApplicationError, ConflictError, ForbiddenError
from apps.scheduling.models import Appointment, AppointmentStatus
from apps.visits.codes import clean_diagnosis_codes
from apps.visits.events import VisitEvent
from apps.visits.models import Addendum, Visit, VisitService, VisitStatus

MAX_SERVICES = 50
# A visit record exists for an appointment that happens (or happened), not one that was called off.
OPENABLE = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


@dataclass(frozen=True)
class PerformedInput:
    """A service performed, as the API parsed it."""

    service_id: Any
    quantity: Decimal


def _require_author(actor: User, visit: Visit) -> None:
    if visit.practitioner_id != actor.pk:
        raise ForbiddenError("Only the visit's practitioner writes its record.", code="not_your_visit")


def _require_open(visit: Visit) -> None:
    if visit.status != VisitStatus.OPEN:
        raise ConflictError(
            "A signed note is immutable; add an addendum instead.", code="visit_signed", extra={"status": visit.status}
        )


def _lock(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().get(pk=visit.pk)


def _build_services(clinic_id: Any, items: Sequence[PerformedInput]) -> list[VisitService]:
    """Every item checked against the clinic's active catalog; nothing is saved here."""
    if len(items) > MAX_SERVICES:
        raise ApplicationError(f"At most {MAX_SERVICES} services.", fields={"services": [f"At most {MAX_SERVICES}."]})
    wanted = {item.service_id for item in items}
    known = set(
        CatalogItem.objects.filter(clinic_id=clinic_id, pk__in=wanted, active=True).values_list("pk", flat=True)
    )
    errors: dict[str, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        if item.service_id not in known:
            # Another clinic's service reads exactly like a missing one.
            errors[str(index)] = {"service": ["No such active service in this clinic's catalog."]}
        elif item.quantity <= 0:
            errors[str(index)] = {"quantity": ["Must be more than zero."]}
    if errors:
        raise ApplicationError("Some services are invalid.", fields={"services": errors})
    return [
        VisitService(position=position, service_id=item.service_id, quantity=item.quantity)
        for position, item in enumerate(items, start=1)
    ]


def _replace_services(visit: Visit, built: list[VisitService]) -> None:
    VisitService.objects.filter(visit=visit).delete()
    for row in built:
        row.visit = visit
    VisitService.objects.bulk_create(built)


def _is_empty(visit: Visit) -> bool:
    """Opened (at check-in) and not written yet: no note, no codes, no services."""
    return not visit.note and not visit.diagnosis_codes and not visit.services.exists()


@transaction.atomic
def visit_open(
    *,
    actor: User,
    appointment: Appointment,
    note: str = "",
    services: Sequence[PerformedInput] = (),
    diagnosis_codes: Sequence[str] = (),
) -> tuple[Visit, bool]:
    """The appointment's visit record, opened now if it has none: ``(visit, created)``.

    Opening twice is not an error (check-in and the first write may race):
    the second call gets the existing record. The practitioner's first write
    fills a record still empty since check-in opened it; a record already
    written is returned unchanged. Only the appointment's practitioner opens it.
    """
    if appointment.practitioner_id != actor.pk:
        raise ForbiddenError("Only the appointment's practitioner opens its visit record.", code="not_your_visit")
    existing = Visit.objects.filter(appointment_id=appointment.pk).first()
    if existing is not None:
        if (note or services or diagnosis_codes) and existing.status == VisitStatus.OPEN:
            existing = _lock(existing)
            if _is_empty(existing):
                changes = {"note": note, "services": list(services), "diagnosis_codes": list(diagnosis_codes)}
                existing = visit_update(actor=actor, visit=existing, changes=changes)
        return existing, False
    _require_openable(appointment)
    codes = clean_diagnosis_codes(list(diagnosis_codes))
    built = _build_services(appointment.clinic_id, services)
    return _create(actor=actor, appointment=appointment, note=note, codes=codes, built=built)


@transaction.atomic
def visit_open_at_check_in(appointment: Appointment, actor: User) -> None:
    """Check-in's hook (apps.scheduling.hooks): open the practitioner's empty record, unless one exists.

    ``actor`` is whoever checks the patient in (usually the front desk); the
    record still belongs to the appointment's practitioner, and the audit
    event names the one who opened it.
    """
    if Visit.objects.filter(appointment_id=appointment.pk).exists():
        return
    _require_openable(appointment)
    _create(actor=actor, appointment=appointment, opened_at="check_in")


def _require_openable(appointment: Appointment) -> None:
    if appointment.status not in OPENABLE:
        raise ConflictError(
            f"A {appointment.status} appointment has no visit record.",
            code="appointment_not_visited",
            extra={"status": appointment.status},
        )


def _create(
    *,
    actor: User,
    appointment: Appointment,
    note: str = "",
    codes: Sequence[str] = (),
    built: Sequence[VisitService] = (),
    opened_at: str = "first_write",
) -> tuple[Visit, bool]:
    visit = Visit(
        clinic_id=appointment.clinic_id,
        appointment=appointment,
        patient_id=appointment.patient_id,
        practitioner_id=appointment.practitioner_id,
        note=note,
        diagnosis_codes=list(codes),
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        # A concurrent open won the one-per-appointment index: theirs is the record.
        return Visit.objects.get(appointment_id=appointment.pk), False
    _replace_services(visit, list(built))
    audit_record(
        actor=actor,
        obj=visit,
        event=VisitEvent.VISIT_OPEN,
        changes={"appointment": str(appointment.pk), "opened_at": opened_at},
    )
    return visit, True


@transaction.atomic
def visit_update(*, actor: User, visit: Visit, changes: dict[str, Any]) -> Visit:
    """Change the note, services or codes of an open record (the whole list is replaced); signed: 409."""
    visit = _lock(visit)
    _require_author(actor, visit)
    _require_open(visit)
    fields = ["updated_at"]
    if "diagnosis_codes" in changes:
        visit.diagnosis_codes = clean_diagnosis_codes(list(changes["diagnosis_codes"]))
        fields.append("diagnosis_codes")
    built = _build_services(visit.clinic_id, changes["services"]) if "services" in changes else None
    if "note" in changes:
        visit.note = changes["note"]
        fields.append("note")
    if built is not None:
        _replace_services(visit, built)
    visit.save(update_fields=fields)
    changed = sorted(set(fields) - {"updated_at"} | ({"services"} if built is not None else set()))
    audit_record(actor=actor, obj=visit, event=VisitEvent.VISIT_UPDATE, changes={"fields": changed})
    return visit


@transaction.atomic
def visit_sign(*, actor: User, visit: Visit) -> Visit:
    """Freeze the note, services and codes; from now on only addenda add to it."""
    visit = _lock(visit)
    _require_author(actor, visit)
    _require_open(visit)
    if not visit.note.strip():
        raise ApplicationError("An empty note cannot be signed.", code="note_empty", fields={"note": ["Required."]})
    visit.status = VisitStatus.SIGNED
    visit.signed_at = timezone.now()
    visit.save(update_fields=["status", "signed_at", "updated_at"])
    audit_record(actor=actor, obj=visit, event=VisitEvent.VISIT_SIGN)
    return visit


@transaction.atomic
def addendum_add(*, actor: User, visit: Visit, text: str) -> Addendum:
    """A new entry after signing (a correction or a late finding); the signed note itself never changes."""
    visit = _lock(visit)
    _require_author(actor, visit)
    if visit.status != VisitStatus.SIGNED:
        raise ConflictError("Edit the note while it is open; addenda follow a signature.", code="visit_not_signed")
    if not text.strip():
        raise ApplicationError("An addendum needs text.", fields={"text": ["Required."]})
    addendum = Addendum.objects.create(visit=visit, author=actor, text=text)
    audit_record(actor=actor, obj=visit, event=VisitEvent.VISIT_ADDENDUM, changes={"addendum": str(addendum.pk)})
    return addendum
