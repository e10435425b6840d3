"""audit_record derives clinic, resource type and id from the object; free text is refused."""

import pytest

from apps.accounts.events import AccountEvent
from apps.audit.models import AuditEvent
from apps.audit.record import AuditTarget, audit_record, audit_record_reads, resource_type_of, target_of
from apps.clinics.events import ClinicEvent
from apps.clinics.models import Membership
from apps.core.roles import Role
from apps.patients.events import PatientEvent
from apps.patients.models import Patient, PatientExport
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_resource_types_are_the_model_names_in_snake_case():
    assert resource_type_of(Patient) == "patient"
    assert resource_type_of(PatientExport) == "patient_export"
    assert resource_type_of(Membership) == "membership"


def test_targets_are_derived_from_the_object(clinic):
    owner = clinic.staff[Role.OWNER]
    patient = PatientFactory(clinic=clinic)
    membership = Membership.objects.get(user=owner, clinic=clinic)
    assert target_of(patient) == AuditTarget("patient", patient.pk, clinic.pk)
    assert target_of(clinic) == AuditTarget("clinic", clinic.pk, clinic.pk)  # a clinic is its own clinic
    assert target_of(owner) == AuditTarget("user", owner.pk, None)
    assert target_of(membership) == AuditTarget("membership", membership.pk, clinic.pk)


def test_audit_record_writes_the_derived_event(clinic):
    patient = PatientFactory(clinic=clinic)
    actor = clinic.staff[Role.RECEPTIONIST]
    audit_record(actor=actor, obj=patient, event=PatientEvent.UPDATE, changes={"fields": ["phone"]})
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.clinic_id, event.resource_type, event.resource_id, event.changes) == (
        "patient.update",
        actor,
        clinic.pk,
        "patient",
        str(patient.pk),
        {"fields": ["phone"]},
    )


def test_free_text_events_are_refused(clinic):
    with pytest.raises(TypeError):
        audit_record(actor=None, obj=clinic, event="clinic.update")
    assert not AuditEvent.objects.exists()


def test_every_event_value_is_unique_and_fits_the_column():
    from apps.billing.events import BillingEvent
    from apps.scheduling.events import SchedulingEvent

    values = [
        e.value for enum in (AccountEvent, ClinicEvent, PatientEvent, SchedulingEvent, BillingEvent) for e in enum
    ]
    assert len(values) == len(set(values))
    assert max(len(v) for v in values) <= AuditEvent._meta.get_field("action").max_length


def test_reads_are_one_event_per_clinic_including_clinics_that_returned_nothing(clinic, other_clinic):
    actor = clinic.staff[Role.OWNER]
    patients = PatientFactory.create_batch(2, clinic=clinic)
    rows = [{"id": p.pk, "clinic_id": p.clinic_id} for p in patients]
    audit_record_reads(
        actor=actor,
        event=PatientEvent.SEARCH,
        model=Patient,
        rows=rows,
        clinic_ids=[clinic.pk, other_clinic.pk],
        query={"search": "x"},
    )
    by_clinic = {e.clinic_id: e for e in AuditEvent.objects.all()}
    assert set(by_clinic) == {clinic.pk, other_clinic.pk}
    assert by_clinic[clinic.pk].changes == {"query": {"search": "x"}, "ids": [str(p.pk) for p in patients]}
    assert by_clinic[other_clinic.pk].changes == {"query": {"search": "x"}, "ids": []}


def test_no_rows_and_no_clinics_write_nothing(clinic):
    audit_record_reads(actor=clinic.staff[Role.OWNER], event=PatientEvent.LIST, model=Patient, rows=[])
    assert not AuditEvent.objects.exists()
