"""Patients' reminder preferences."""

from django.db import transaction

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.patients.models import Patient
from apps.scheduling.models import (
    ReminderPreference,
)


@transaction.atomic
def reminder_preference_set(*, actor: User, patient: Patient, opted_out: bool) -> ReminderPreference:
    """Record whether a patient wants appointment reminders (the default is yes)."""
    preference, created = ReminderPreference.objects.select_for_update().get_or_create(
        patient=patient, defaults={"clinic_id": patient.clinic_id, "opted_out": opted_out, "updated_by": actor}
    )
    if not created and preference.opted_out == opted_out:
        return preference
    preference.opted_out = opted_out
    preference.updated_by = actor
    preference.save()
    audit_record(
        actor_id=actor.pk,
        clinic_id=patient.clinic_id,
        action="patient.reminder_preference",
        resource_type="patient",
        resource_id=patient.pk,
        changes={"opted_out": opted_out},
    )
    return preference
