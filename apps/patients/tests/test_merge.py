"""Merge and unmerge move and restore every reference, table by table, and hold under concurrent edits."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.billing.models import Invoice
from apps.billing.tests.factories import draft_invoice
from apps.core.errors import ApplicationError
from apps.core.roles import Role
from apps.patients import services
from apps.patients.merge import patient_merge, patient_unmerge
from apps.patients.models import Patient, PatientMerge
from apps.patients.selectors import patient_search
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import Appointment, ReminderPreference
from apps.scheduling.tests.factories import AppointmentFactory


def _references(patient):
    return {
        "appointments": set(Appointment.objects.filter(patient=patient).values_list("pk", flat=True)),
        "invoices": set(Invoice.objects.filter(patient=patient).values_list("pk", flat=True)),
        "preferences": set(ReminderPreference.objects.filter(patient=patient).values_list("pk", flat=True)),
    }


@pytest.fixture
def pair(clinic):
    survivor = PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker")
    merged = PatientFactory(
        clinic=clinic, given_name="Jenifer", family_name="Becker", date_of_birth=survivor.date_of_birth
    )
    practitioner = clinic.staff[Role.PRACTITIONER]
    soon = timezone.now() + timedelta(days=3)
    AppointmentFactory(clinic=clinic, patient=survivor, practitioner=practitioner, start=soon)
    for hours in (1, 2):
        start = soon + timedelta(hours=hours)
        AppointmentFactory(clinic=clinic, patient=merged, practitioner=practitioner, start=start)
    draft_invoice(clinic, patient=merged)
    ReminderPreference.objects.create(clinic=clinic, patient=merged, opted_out=True)
    return survivor, merged


@pytest.mark.django_db
def test_merge_moves_every_reference_and_unmerge_restores_exactly_what_moved(clinic, pair):
    survivor, merged = pair
    owner = clinic.staff[Role.OWNER]
    before_survivor, before_merged = _references(survivor), _references(merged)

    record = patient_merge(actor=owner, survivor=survivor, merged=merged, reason="same card, typo in name")
    after_survivor, after_merged = _references(survivor), _references(merged)
    assert after_survivor["appointments"] == before_survivor["appointments"] | before_merged["appointments"]
    assert after_survivor["invoices"] == before_merged["invoices"]
    assert after_merged["appointments"] == set()
    assert after_merged["invoices"] == set()
    # The survivor had no preference, so the merged one's moved.
    assert after_survivor["preferences"] == before_merged["preferences"]
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk
    assert merged.active is False
    assert set(record.moved) == {
        "scheduling.appointment.patient",
        "billing.invoice.patient",
        "scheduling.reminderpreference.patient",
    }
    assert AuditEvent.objects.filter(action="patient.merge", resource_id=str(survivor.pk)).exists()
    # Searches no longer show the merged record (lists: test_api_hides_merged_records).
    found = patient_search(queryset=Patient.objects.all(), text="Becker", regions=set())
    assert merged.pk not in set(found.values_list("pk", flat=True))

    patient_unmerge(actor=owner, merged=merged)
    assert _references(survivor) == before_survivor
    assert _references(merged) == before_merged
    merged.refresh_from_db()
    assert merged.merged_into_id is None
    assert merged.active is True
    assert PatientMerge.objects.get(pk=record.pk).unmerged_at is not None
    assert AuditEvent.objects.filter(action="patient.unmerge", resource_id=str(merged.pk)).exists()


@pytest.mark.django_db
def test_unmerge_restores_an_archived_record_as_archived(clinic, pair):
    survivor, merged = pair
    services.patient_archive(actor=clinic.staff[Role.OWNER], patient=merged)
    merged.refresh_from_db()
    archived_at = merged.archived_at
    patient_merge(actor=clinic.staff[Role.OWNER], survivor=survivor, merged=merged, reason="duplicate")
    patient_unmerge(actor=clinic.staff[Role.OWNER], merged=merged)
    merged.refresh_from_db()
    assert merged.active is False
    assert merged.archived_at == archived_at


@pytest.mark.django_db
def test_a_one_to_one_reference_the_survivor_already_has_stays_behind_and_comes_back(clinic, pair):
    survivor, merged = pair
    own = ReminderPreference.objects.create(clinic=clinic, patient=survivor, opted_out=False)
    theirs = ReminderPreference.objects.get(patient=merged)
    record = patient_merge(actor=clinic.staff[Role.ADMIN], survivor=survivor, merged=merged, reason="duplicate")
    assert "scheduling.reminderpreference.patient" not in record.moved
    assert ReminderPreference.objects.get(pk=own.pk).patient_id == survivor.pk
    assert ReminderPreference.objects.get(pk=theirs.pk).patient_id == merged.pk
    patient_unmerge(actor=clinic.staff[Role.ADMIN], merged=merged)
    assert ReminderPreference.objects.get(pk=theirs.pk).patient_id == merged.pk


@pytest.mark.django_db
def test_bad_merges_are_refused_and_change_nothing(clinic, other_clinic, pair):
    survivor, merged = pair
    owner = clinic.staff[Role.OWNER]
    before = _references(merged)
    with pytest.raises(ApplicationError) as no_reason:
        patient_merge(actor=owner, survivor=survivor, merged=merged, reason="  ")
    assert no_reason.value.code == "invalid"
    with pytest.raises(ApplicationError) as itself:
        patient_merge(actor=owner, survivor=survivor, merged=survivor, reason="x")
    assert itself.value.code == "merge_same_patient"
    stranger = PatientFactory(clinic=other_clinic)
    with pytest.raises(ApplicationError) as across:
        patient_merge(actor=owner, survivor=stranger, merged=merged, reason="x")
    assert across.value.code == "merge_other_clinic"
    assert _references(merged) == before
    patient_merge(actor=owner, survivor=survivor, merged=merged, reason="x")
    with pytest.raises(ApplicationError) as twice:
        patient_merge(actor=owner, survivor=survivor, merged=merged, reason="x")
    assert twice.value.code == "already_merged"
    with pytest.raises(ApplicationError):
        patient_unmerge(actor=owner, merged=survivor)


@pytest.mark.postgres
@pytest.mark.django_db
def test_overlapping_appointments_refuse_the_merge_and_nothing_moves(clinic, pair):
    survivor, merged = pair
    clash = Appointment.objects.filter(patient=merged).order_by("start").first()
    other_practitioner = clinic.staff[Role.ADMIN]
    AppointmentFactory(clinic=clinic, patient=survivor, practitioner=other_practitioner, start=clash.start)
    before = _references(merged), _references(survivor)
    with pytest.raises(ApplicationError) as refused:
        patient_merge(actor=clinic.staff[Role.OWNER], survivor=survivor, merged=merged, reason="dup")
    assert refused.value.code == "merge_conflict"
    assert (_references(merged), _references(survivor)) == before
    merged.refresh_from_db()
    assert merged.merged_into_id is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_both_records_wait_for_the_merge_and_survive_it(clinic):
    survivor = PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker")
    merged = PatientFactory(
        clinic=clinic, given_name="Jenifer", family_name="Becker", date_of_birth=survivor.date_of_birth
    )
    owner = clinic.staff[Role.OWNER]
    AppointmentFactory(clinic=clinic, patient=merged, practitioner=clinic.staff[Role.PRACTITIONER])
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(work):
        try:
            barrier.wait()
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def edit(patient_id, city):
        def work():
            patient = Patient.objects.select_related("clinic").get(pk=patient_id)
            services.patient_update(actor=owner, role=Role.OWNER, patient=patient, changes={"city": city})

        return work

    def merge():
        patient_merge(
            actor=owner,
            survivor=Patient.objects.get(pk=survivor.pk),
            merged=Patient.objects.get(pk=merged.pk),
            reason="duplicate",
        )

    threads = [
        threading.Thread(target=run, args=(merge,)),
        threading.Thread(target=run, args=(edit(survivor.pk, "Potsdam"),)),
        threading.Thread(target=run, args=(edit(merged.pk, "Leipzig"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert survivor.city == "Potsdam"
    assert merged.city == "Leipzig"
    assert merged.merged_into_id == survivor.pk
    assert Appointment.objects.filter(patient=merged).count() == 0
    assert Appointment.objects.filter(patient=survivor).count() == 1


@pytest.mark.django_db
def test_the_review_list_pairs_similar_names_and_same_phones_of_one_birth_date(clinic, other_clinic):
    from apps.patients.selectors import patient_duplicate_pairs

    jennifer = PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker")
    jenifer = PatientFactory(
        clinic=clinic, given_name="Jenifer", family_name="Becker", date_of_birth=jennifer.date_of_birth
    )
    otto = PatientFactory(clinic=clinic, given_name="Otto", family_name="Zimmer", phone="+4930111222")
    anna = PatientFactory(
        clinic=clinic, given_name="Anna", family_name="Lund", phone="+4930111222", date_of_birth=otto.date_of_birth
    )
    PatientFactory(clinic=clinic, given_name="Karl", family_name="Marx", date_of_birth=jennifer.date_of_birth)
    PatientFactory(
        clinic=other_clinic, given_name="Jennifer", family_name="Becker", date_of_birth=jennifer.date_of_birth
    )
    pairs = patient_duplicate_pairs(clinic_id=clinic.pk)
    found = {(frozenset((pair.first_id, pair.second_id)), pair.reason) for pair in pairs}
    assert found == {
        (frozenset((jennifer.pk, jenifer.pk)), "similar_name"),
        (frozenset((otto.pk, anna.pk)), "same_phone"),
    }
    patient_merge(actor=clinic.staff[Role.OWNER], survivor=jennifer, merged=jenifer, reason="duplicate")
    assert {pair.reason for pair in patient_duplicate_pairs(clinic_id=clinic.pk)} == {"same_phone"}


@pytest.mark.django_db
def test_api_hides_merged_records(as_user, clinic, pair):
    survivor, merged = pair
    patient_merge(actor=clinic.staff[Role.OWNER], survivor=survivor, merged=merged, reason="duplicate")
    api = as_user(clinic.staff[Role.OWNER])
    listed = api.get("/api/v1/patients/", {"include_archived": "true"}).data["results"]
    assert str(merged.pk) not in {row["id"] for row in listed}
    assert str(survivor.pk) in {row["id"] for row in listed}


@pytest.mark.django_db
def test_the_api_reviews_merges_reads_and_unmerges(as_user, clinic, pair):
    survivor, merged = pair
    api = as_user(clinic.staff[Role.ADMIN])
    review = api.get("/api/v1/patients/duplicates/", {"clinic": str(clinic.pk)})
    assert review.status_code == 200
    assert {review.data["results"][0]["first"]["id"], review.data["results"][0]["second"]["id"]} == {
        str(survivor.pk),
        str(merged.pk),
    }
    assert api.post(f"/api/v1/patients/{survivor.pk}/merge/", {"merged": str(merged.pk)}).status_code == 400  # reason
    done = api.post(f"/api/v1/patients/{survivor.pk}/merge/", {"merged": str(merged.pk), "reason": "same card"})
    assert done.status_code == 200
    assert done.data["moved"]["scheduling.appointment.patient"] == 2
    # Reading the merged id answers 200 with the survivor's id in merged_into.
    read = api.get(f"/api/v1/patients/{merged.pk}/")
    assert read.status_code == 200
    assert read.data["merged_into"] == str(survivor.pk)
    links = api.get(f"/api/v1/patients/{survivor.pk}/fhir/").json()["link"]
    assert links == [{"other": {"reference": f"Patient/{merged.pk}"}, "type": "replaces"}]
    replaced = api.get(f"/api/v1/patients/{merged.pk}/fhir/").json()["link"]
    assert replaced == [{"other": {"reference": f"Patient/{survivor.pk}"}, "type": "replaced-by"}]
    assert api.post(f"/api/v1/patients/{merged.pk}/unmerge/").status_code == 200
    assert api.get(f"/api/v1/patients/{merged.pk}/").data["merged_into"] is None
    assert Appointment.objects.filter(patient=merged).count() == 2


@pytest.mark.django_db
def test_roles_outside_the_managers_cannot_merge(as_user, clinic, pair):
    survivor, merged = pair
    api = as_user(clinic.staff[Role.RECEPTIONIST])
    response = api.post(f"/api/v1/patients/{survivor.pk}/merge/", {"merged": str(merged.pk), "reason": "x"})
    assert response.status_code == 403
    merged.refresh_from_db()
    assert merged.merged_into_id is None
