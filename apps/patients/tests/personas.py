"""Persona entries for patients and their exports."""

import uuid
from typing import Any

from apps.patients.exports import patient_export_run
from apps.patients.models import PatientExport, PatientMerge
from apps.patients.tests.factories import PatientFactory
from tests.personas import PersonaCase, Target


def new_patient(target: Target, obj) -> dict:
    unique = uuid.uuid4().hex[:8]
    return {
        "clinic": str(target.clinic.pk),
        "given_name": f"Persona{unique}",
        "family_name": f"Case{unique}",
        "date_of_birth": "1980-05-17",
        "phone": f"+4930{int(unique, 16) % 10_000_000:07d}",
    }


def a_patient(target: Target):
    return PatientFactory(clinic=target.clinic)


def new_patient_id(clinic: Any) -> str:
    """A patient of ``clinic`` for bodies that name one (invoices, bookings, reminder preferences)."""
    patient: Any = PatientFactory(clinic=clinic)
    return str(patient.pk)


def an_export(target: Target):
    """Exports are visible to their requester only: the persona asked for this one."""
    return PatientExport.objects.create(clinic=target.clinic, requested_by=target.actor, format="csv")


def a_finished_export(target: Target):
    export = an_export(target)
    return patient_export_run(export_id=str(export.pk))


def a_merged_patient(target: Target):
    """A record already merged into another of its clinic (what unmerge/ acts on)."""
    from apps.core.roles import Role
    from apps.patients.merge import patient_merge

    survivor: Any = PatientFactory(clinic=target.clinic)
    merged: Any = PatientFactory(clinic=target.clinic)
    patient_merge(actor=target.clinic.staff[Role.OWNER], survivor=survivor, merged=merged, reason="persona")
    merged.refresh_from_db()
    return merged


PERSONAS = {
    "patient-export-list": PersonaCase(
        make_object=an_export, body=lambda target, obj: {"clinic": str(target.clinic.pk), "format": "csv"}
    ),
    "patient-export-detail": PersonaCase(make_object=an_export),
    "patient-export-download": PersonaCase(make_object=a_finished_export),
    "patient-list": PersonaCase(make_object=a_patient, body=new_patient),
    "patient-detail": PersonaCase(make_object=a_patient, body=lambda target, obj: {"city": "Potsdam"}),
    "patient-fhir": PersonaCase(make_object=a_patient),
    "patient-duplicates": PersonaCase(),
    "patient-merge": PersonaCase(
        make_object=a_patient,
        body=lambda target, obj: {"merged": new_patient_id(target.clinic), "reason": "one person, two cards"},
        body_clinic_field="merged",
    ),
    "patient-unmerge": PersonaCase(make_object=a_merged_patient, models=(PatientMerge,)),
}
