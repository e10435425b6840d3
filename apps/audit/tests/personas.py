"""Persona entries for the audit trail."""

from apps.audit.models import AuditCheckpoint
from apps.audit.sealer import audit_seal_all
from apps.audit.services import audit_record
from tests.personas import PersonaCase, Target

CHECKPOINTS = "signed checkpoints hold only hashes of the whole log, for any clinic's owners and admins (test_api.py)"


def an_event(target: Target):
    return audit_record(action="persona.check", resource_type="thing", resource_id="1", clinic_id=target.clinic.pk)


def a_sealed_event(target: Target):
    event = an_event(target)
    audit_seal_all()
    return event


def a_checkpoint(target: Target):
    a_sealed_event(target)
    return AuditCheckpoint.objects.order_by("-tree_size").first()


def event_id(event) -> str:
    return str(event.event_id)


PERSONAS = {
    "audit-event-list": PersonaCase(make_object=an_event, public_id=event_id),
    "audit-event-proof": PersonaCase(make_object=a_sealed_event, public_id=event_id),
    "audit-checkpoint-list": PersonaCase(unscoped=CHECKPOINTS),
    "audit-checkpoint-detail": PersonaCase(make_object=a_checkpoint, unscoped=CHECKPOINTS),
    "audit-checkpoint-consistency": PersonaCase(unscoped=CHECKPOINTS),
}
