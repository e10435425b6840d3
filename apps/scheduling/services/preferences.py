"""Patients' reminder preferences."""

from django.db import transaction

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.patients.models import Patient
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.models import ReminderPreference


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
        actor=actor,
        obj=patient,
        event=SchedulingEvent.REMINDER_PREFERENCE,
        changes={"opted_out": opted_out},
    )
    return preference
