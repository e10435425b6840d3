"""Persona entries for the audit trail."""

from apps.audit.models import AuditEvent
from tests.personas import PersonaCase

PERSONAS = {"audit-event-list": PersonaCase(models=(AuditEvent,))}
