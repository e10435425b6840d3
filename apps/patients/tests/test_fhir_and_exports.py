"""FHIR R4 output validated by fhir.resources; exports only for managers, downloadable by the requester."""

import csv
import io
import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.patient import Patient as FhirPatient

from apps.audit.models import AuditEvent
from apps.core.roles import Role
from apps.patients.fhir import mrn_system
from apps.patients.models import PatientExport
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
EXPORTS = reverse("patient-export-list")


def full_patient(clinic):
    return PatientFactory(
        clinic=clinic,
        given_name="Anna Maria",
        family_name="Müller",
        email="anna@example.test",
        address_line="Hauptstraße 5",
        city="Berlin",
        postal_code="10115",
        country="DE",
        emergency_contact_name="Jonas Müller",
        emergency_contact_phone="+49301234000",
    )


def test_fhir_patient_validates_and_carries_the_record(as_user, clinic):
    role = Role.RECEPTIONIST  # one permitted role; tests/test_personas.py covers the others
    patient = full_patient(clinic)
    response = as_user(clinic.staff[role]).get(reverse("patient-fhir", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    resource = FhirPatient.model_validate(response.json())
    assert resource.identifier[0].value == patient.mrn
    assert resource.identifier[0].system == mrn_system(clinic.pk)
    assert resource.name[0].family == "Müller"
    assert resource.name[0].given == ["Anna", "Maria"]
    assert str(resource.birthDate) == str(patient.date_of_birth)
    assert resource.gender == "female"
    assert {t.system for t in resource.telecom} == {"phone", "email"}
    assert resource.address[0].city == "Berlin"
    assert resource.contact[0].telecom[0].value == "+49301234000"
    assert AuditEvent.objects.filter(action="patient.read", resource_id=str(patient.pk)).exists()


def test_fhir_of_a_sparse_patient_still_validates(as_user, clinic):
    patient = PatientFactory(clinic=clinic, phone="", sex="unknown")
    body = as_user(clinic.staff[Role.BILLING]).get(reverse("patient-fhir", args=[patient.pk])).json()
    FhirPatient.model_validate(body)
    assert "telecom" not in body
    assert "address" not in body


def request_export(client, clinic, export_format="csv"):
    return client.post(EXPORTS, {"clinic": str(clinic.pk), "format": export_format})


def test_a_csv_export_is_downloaded_by_its_requester_only(
    as_user, clinic, django_capture_on_commit_callbacks, settings, tmp_path
):
    role = Role.OWNER  # the other manager (admin) is refused below
    settings.MEDIA_ROOT = tmp_path
    patients = [full_patient(clinic), PatientFactory(clinic=clinic, family_name="=cmd|calc", active=False)]
    with django_capture_on_commit_callbacks(execute=True):
        response = request_export(as_user(clinic.staff[role]), clinic)
    assert response.status_code == 202, response.data
    export = PatientExport.objects.get()
    status = as_user(clinic.staff[role]).get(reverse("patient-export-detail", args=[export.pk]))
    assert status.data["status"] == "done"
    assert status.data["row_count"] == 2

    download = as_user(clinic.staff[role]).get(status.data["download_url"])
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert {r["mrn"] for r in rows} == {p.mrn for p in patients}
    assert "'=cmd|calc" in {r["family_name"] for r in rows}  # no spreadsheet formulas

    # Another manager of the same clinic can neither see nor download it.
    other_manager = clinic.staff[Role.ADMIN if role == Role.OWNER else Role.OWNER]
    assert as_user(other_manager).get(status.data["download_url"]).status_code == 404
    assert as_user(other_manager).get(reverse("patient-export-detail", args=[export.pk])).status_code == 404
    assert as_user(other_manager).get(EXPORTS).data["results"] == []
    actions = set(AuditEvent.objects.filter(clinic=clinic).values_list("action", flat=True))
    assert {"patient.export_request", "patient.export"} <= actions


def test_fhir_ndjson_export_lines_validate(as_user, clinic, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    full_patient(clinic)
    PatientFactory(clinic=clinic)
    owner = as_user(clinic.staff[Role.OWNER])
    with django_capture_on_commit_callbacks(execute=True):
        response = request_export(owner, clinic, "fhir")
    export = PatientExport.objects.get(pk=response.data["id"])
    body = b"".join(owner.get(reverse("patient-export-download", args=[export.pk])).streaming_content).decode()
    lines = body.strip().split("\n")
    assert len(lines) == 2
    for line in lines:
        FhirPatient.model_validate(json.loads(line))


def test_bad_export_format_is_400(as_user, clinic):
    assert request_export(as_user(clinic.staff[Role.OWNER]), clinic, "xlsx").status_code == 400
    assert not PatientExport.objects.exists()


def test_an_unfinished_export_is_409_on_download(as_user, clinic):
    owner = clinic.staff[Role.OWNER]
    export = PatientExport.objects.create(clinic=clinic, requested_by=owner, format="csv")
    response = as_user(owner).get(reverse("patient-export-download", args=[export.pk]))
    assert response.status_code == 409
    assert response.data["code"] == "export_not_ready"


def test_running_an_export_twice_does_not_redo_it(clinic, settings, tmp_path):
    from apps.patients.exports import patient_export_run

    settings.MEDIA_ROOT = tmp_path
    PatientFactory(clinic=clinic)
    export = PatientExport.objects.create(clinic=clinic, requested_by=clinic.staff[Role.OWNER], format="csv")
    first = patient_export_run(export_id=str(export.pk))
    second = patient_export_run(export_id=str(export.pk))
    assert first is not None
    assert second is not None
    assert (first.status, second.finished_at) == ("done", first.finished_at)
    assert AuditEvent.objects.filter(action="patient.export").count() == 1
