"""Persona entries for the audit trail."""

from apps.audit.services import audit_record
from tests.personas import PersonaCase, Target


def an_event(target: Target):
    return audit_record(action="persona.check", resource_type="thing", resource_id="1", clinic_id=target.clinic.pk)


PERSONAS = {"audit-event-list": PersonaCase(make_object=an_event, public_id=lambda event: str(event.event_id))}
