"""Every disclosure of patient data writes its event: export downloads, duplicate candidates,
refused reads (with their outcome), appointment and invoice reads. One insert per request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.billing.tests.factories import draft_invoice
from apps.core.roles import Role
from apps.patients.models import Patient, PatientExport
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
PATIENTS = reverse("patient-list")


def audit_inserts(queries):
    return [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- export downloads ----------------------------------------------------------


def test_an_export_download_writes_its_event(as_user, clinic, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    PatientFactory.create_batch(3, clinic=clinic)
    owner = as_user(clinic.staff[Role.OWNER])
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("patient-export-list"), {"clinic": str(clinic.pk), "format": "csv"})
    export = PatientExport.objects.get()
    assert events("patient.export_download") == []

    response = owner.get(reverse("patient-export-download", args=[export.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    (event,) = events("patient.export_download")
    assert (event.actor, event.clinic_id, event.resource_type, event.resource_id) == (
        clinic.staff[Role.OWNER],
        clinic.pk,
        "patient_export",
        str(export.pk),
    )
    assert event.changes == {"format": "csv", "rows": 3}


def test_a_download_that_is_not_ready_writes_no_download_event(as_user, clinic):
    owner = clinic.staff[Role.OWNER]
    export = PatientExport.objects.create(clinic=clinic, requested_by=owner, format="csv")
    assert as_user(owner).get(reverse("patient-export-download", args=[export.pk])).status_code == 409
    assert events("patient.export_download") == []


# --- duplicate candidates --------------------------------------------------------


@pytest.fixture
def existing(clinic):
    return PatientFactory(
        clinic=clinic, given_name="Maria", family_name="Lopez", date_of_birth="1984-03-07", phone="+49301234567"
    )


def test_a_refused_create_records_the_candidates_it_showed_and_creates_nothing(as_user, clinic, existing):
    before = Patient.objects.count()
    body = {"clinic": str(clinic.pk), "given_name": "María", "family_name": "López", "date_of_birth": "1984-03-07"}
    response = as_user(clinic.staff[Role.RECEPTIONIST]).post(PATIENTS, body)
    assert response.status_code == 409
    assert [c["id"] for c in response.data["candidates"]] == [str(existing.pk)]
    assert Patient.objects.count() == before
    assert events("patient.create") == []
    (shown,) = events("patient.duplicate_candidates")
    assert (shown.actor, shown.clinic_id, shown.resource_type, shown.resource_id) == (
        clinic.staff[Role.RECEPTIONIST],
        clinic.pk,
        "patient",
        str(existing.pk),
    )
    assert shown.changes == {"attempt": "create", "subject": ""}


def test_a_refused_update_records_the_candidates_and_changes_nothing(as_user, clinic, existing):
    other = PatientFactory(clinic=clinic, given_name="Mario", family_name="Rossi", date_of_birth="1990-01-01")
    response = as_user(clinic.staff[Role.OWNER]).patch(
        reverse("patient-detail", args=[other.pk]),
        {"given_name": "Maria", "family_name": "Lopez", "date_of_birth": "1984-03-07"},
    )
    assert response.status_code == 409
    other.refresh_from_db()
    assert other.given_name == "Mario"
    (shown,) = events("patient.duplicate_candidates")
    assert shown.resource_id == str(existing.pk)
    assert shown.changes == {"attempt": "update", "subject": str(other.pk)}


# --- refused reads ---------------------------------------------------------------


def test_another_clinics_patient_is_404_and_the_refusal_is_recorded_without_their_clinic(as_user, clinic, other_clinic):
    theirs = PatientFactory(clinic=other_clinic)
    response = as_user(clinic.staff[Role.OWNER]).get(reverse("patient-detail", args=[theirs.pk]))
    assert response.status_code == 404
    (denied,) = events("patient.access_denied")
    assert (denied.actor, denied.resource_type, denied.resource_id, denied.clinic_id) == (
        clinic.staff[Role.OWNER],
        "patient",
        str(theirs.pk),
        None,  # nothing about the other clinic is written where either clinic's auditors look
    )
    assert denied.changes == {"outcome": "not_found", "method": "GET", "route": "retrieve"}
    assert not AuditEvent.objects.filter(clinic=other_clinic).exists()
    assert events("patient.read") == []


def test_a_missing_patient_is_recorded_exactly_like_another_clinics(as_user, clinic, other_clinic):
    theirs = PatientFactory(clinic=other_clinic)
    client = as_user(clinic.staff[Role.OWNER])
    missing = "01900000-0000-7000-8000-000000000000"
    client.get(reverse("patient-fhir", args=[theirs.pk]))
    client.get(reverse("patient-fhir", args=[missing]))
    first, second = events("patient.access_denied")
    strip = ("id", "event_id", "at", "resource_id", "request_id", "hash", "prev_hash")
    same = [{k: v for k, v in vars(e).items() if k not in strip and not k.startswith("_")} for e in (first, second)]
    assert same[0] == same[1]
    assert [first.resource_id, second.resource_id] == [str(theirs.pk), missing]


def test_a_forbidden_archive_is_recorded_with_the_clinic_and_outcome(as_user, clinic):
    patient = PatientFactory(clinic=clinic)
    response = as_user(clinic.staff[Role.RECEPTIONIST]).delete(reverse("patient-detail", args=[patient.pk]))
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.active
    (denied,) = events("patient.access_denied")
    assert (denied.clinic_id, denied.resource_id) == (clinic.pk, str(patient.pk))
    assert denied.changes == {"outcome": "forbidden", "method": "DELETE", "route": "destroy"}


def test_a_forbidden_archived_list_is_recorded(as_user, clinic):
    response = as_user(clinic.staff[Role.RECEPTIONIST]).get(PATIENTS, {"include_archived": "true"})
    assert response.status_code == 403
    (denied,) = events("patient.access_denied")
    assert (denied.resource_id, denied.changes["outcome"], denied.changes["route"]) == ("", "forbidden", "list")


def test_another_users_export_is_404_and_recorded(as_user, clinic):
    export = PatientExport.objects.create(clinic=clinic, requested_by=clinic.staff[Role.OWNER], format="csv")
    response = as_user(clinic.staff[Role.ADMIN]).get(reverse("patient-export-download", args=[export.pk]))
    assert response.status_code == 404
    (denied,) = events("patient.access_denied")
    assert (denied.actor, denied.resource_type, denied.resource_id) == (
        clinic.staff[Role.ADMIN],
        "patient_export",
        str(export.pk),
    )
    assert denied.changes["outcome"] == "not_found"


def test_anonymous_refusals_write_nothing(api, clinic):
    patient = PatientFactory(clinic=clinic)
    assert api.get(reverse("patient-detail", args=[patient.pk])).status_code == 401
    assert not AuditEvent.objects.exists()


# --- appointments and invoices ---------------------------------------------------


def test_an_appointment_list_is_one_insert_naming_the_patients_shown(as_user, clinic, other_clinic):
    start = timezone.now().replace(microsecond=0) + timezone.timedelta(days=1)
    practitioner = clinic.staff[Role.PRACTITIONER]
    mine = [
        AppointmentFactory(clinic=clinic, practitioner=practitioner, start=start + timezone.timedelta(hours=n))
        for n in range(3)
    ]
    AppointmentFactory(clinic=other_clinic, practitioner=other_clinic.staff[Role.PRACTITIONER], start=start)
    with CaptureQueriesContext(connection) as queries:
        response = as_user(clinic.staff[Role.RECEPTIONIST]).get(reverse("appointment-list"))
    assert response.status_code == 200
    assert len(audit_inserts(queries)) == 1
    (listed,) = events("appointment.list")
    assert (listed.actor, listed.clinic_id, listed.resource_type) == (
        clinic.staff[Role.RECEPTIONIST],
        clinic.pk,
        "appointment",
    )
    assert sorted(listed.changes["ids"]) == sorted(str(a.pk) for a in mine)
    assert sorted(listed.changes["patients"]) == sorted({str(a.patient_id) for a in mine})


def test_an_appointment_read_and_the_calendar_feed_are_recorded(as_user, clinic):
    practitioner = clinic.staff[Role.PRACTITIONER]
    appointment = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, start=timezone.now() + timezone.timedelta(days=2)
    )
    client = as_user(practitioner)
    assert client.get(reverse("appointment-detail", args=[appointment.pk])).status_code == 200
    (read,) = events("appointment.read")
    assert (read.resource_id, read.clinic_id, read.changes) == (
        str(appointment.pk),
        clinic.pk,
        {"patient": str(appointment.patient_id)},
    )
    assert client.get(reverse("appointment-calendar")).status_code == 200
    (feed,) = events("appointment.calendar")
    assert feed.changes["patients"] == [str(appointment.patient_id)]


def test_invoice_list_and_read_are_recorded_in_one_insert_each(as_user, clinic):
    invoices = [draft_invoice(clinic) for _ in range(2)]
    client = as_user(clinic.staff[Role.BILLING])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("invoice-list")).status_code == 200
    assert len(audit_inserts(queries)) == 1
    (listed,) = events("invoice.list")
    assert sorted(listed.changes["ids"]) == sorted(str(i.pk) for i in invoices)
    assert sorted(listed.changes["patients"]) == sorted({str(i.patient_id) for i in invoices})
    assert client.get(reverse("invoice-detail", args=[invoices[0].pk])).status_code == 200
    (read,) = events("invoice.read")
    assert (read.resource_id, read.changes) == (str(invoices[0].pk), {"patient": str(invoices[0].patient_id)})


def test_an_empty_appointment_page_writes_nothing(as_user, clinic):
    assert as_user(clinic.staff[Role.OWNER]).get(reverse("appointment-list")).status_code == 200
    assert events("appointment.list") == []
