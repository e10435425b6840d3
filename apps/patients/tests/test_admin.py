"""The admin with patients' data: audited like the API, through the services, never a cross-clinic move."""

import importlib
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.urls import clear_url_caches

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.patients.models import Patient
from apps.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/patients/patient/"


@pytest.fixture
def admin_client(clinic):
    root = User.objects.create_superuser("root@example.test", "a-long-enough-passphrase-9")
    client = Client()
    client.force_login(root)
    client.root = root
    return client


def test_the_changelist_and_a_record_are_audited_as_reads(admin_client, clinic):
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    assert admin_client.get(CHANGELIST).status_code == 200
    listed = AuditEvent.objects.get(action="patient.list", actor=admin_client.root)
    assert sorted(listed.changes["ids"]) == sorted(str(p.pk) for p in patients)
    assert admin_client.get(f"{CHANGELIST}{patients[0].pk}/change/").status_code == 200
    read = AuditEvent.objects.get(action="patient.read", actor=admin_client.root)
    assert read.resource_id == str(patients[0].pk)
    assert read.clinic_id == clinic.pk


def _form(patient, **changes):
    fields = ["given_name", "family_name", "date_of_birth", "sex", "phone", "email", "address_line", "city"]
    body = {name: getattr(patient, name) or "" for name in fields}
    body.update({"postal_code": "", "country": "", "emergency_contact_name": "", "emergency_contact_phone": ""})
    body["date_of_birth"] = patient.date_of_birth.isoformat()
    body.update(changes)
    return body


def test_a_change_goes_through_the_service_and_cannot_move_the_patient(admin_client, clinic, other_clinic):
    patient = PatientFactory(clinic=clinic, given_name="Anna", family_name="Berg")
    url = f"{CHANGELIST}{patient.pk}/change/"
    response = admin_client.post(url, _form(patient, city="Potsdam", clinic=str(other_clinic.pk)))
    assert response.status_code == 302, response.content.decode()[:500]
    patient.refresh_from_db()
    assert patient.city == "Potsdam"
    assert patient.clinic_id == clinic.pk  # the clinic field is read-only
    update = AuditEvent.objects.get(action="patient.update", resource_id=str(patient.pk))
    assert update.changes == {"fields": ["city"]}  # names, not values


def test_the_duplicate_check_refuses_in_the_admin_too(admin_client, clinic):
    born = date(1980, 5, 1)
    existing = PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker", date_of_birth=born)
    body = _form(existing, phone="", clinic=str(clinic.pk))
    response = admin_client.post(f"{CHANGELIST}add/", body)
    assert response.status_code == 200  # the form again
    assert "Likely the same person as" in response.content.decode()
    assert Patient.objects.filter(clinic=clinic).count() == 1
    body["override_duplicate_reason"] = "twins, checked their cards"
    assert admin_client.post(f"{CHANGELIST}add/", body).status_code == 302
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert AuditEvent.objects.filter(action="patient.create").count() == 1


def test_delete_is_replaced_by_an_audited_archive(admin_client, clinic):
    patient = PatientFactory(clinic=clinic)
    assert admin_client.get(f"{CHANGELIST}{patient.pk}/delete/").status_code == 403
    response = admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [str(patient.pk)]})
    assert Patient.objects.filter(pk=patient.pk).exists()
    response = admin_client.post(CHANGELIST, {"action": "archive_patients", "_selected_action": [str(patient.pk)]})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.active is False
    assert AuditEvent.objects.filter(action="patient.archive", resource_id=str(patient.pk)).exists()


@pytest.mark.postgres
def test_the_admin_search_is_the_apis_typo_tolerant_search(admin_client, clinic):
    wanted = PatientFactory(clinic=clinic, given_name="Jennifer", family_name="Becker")
    PatientFactory(clinic=clinic, given_name="Otto", family_name="Zimmermann")
    response = admin_client.get(CHANGELIST, {"q": "Jenifer Beker"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk]


def test_infrastructure_is_for_superusers_only(admin_client, clinic):
    staff = User.objects.create_user("staff@example.test", "a-long-enough-passphrase-9", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(staff)
    for url in (
        "/admin/django_celery_beat/periodictask/",
        "/admin/token_blacklist/outstandingtoken/",
        "/admin/otp_totp/totpdevice/",
        "/admin/accounts/loginattempt/",
        "/admin/patients/patientexport/",
    ):
        assert client.get(url).status_code == 403, url
        assert admin_client.get(url).status_code == 200, url
    assert client.get(CHANGELIST).status_code == 200  # clinical tables stay open to permitted staff
    index = admin_client.get("/admin/").content.decode()
    assert "ClinicOps" in index


def test_the_admin_url_comes_from_the_environment(settings):
    import config.urls

    try:
        with override_settings(DJANGO_ADMIN_URL="staff-desk-7f3a/"):
            clear_url_caches()
            importlib.reload(config.urls)
            client = Client()
            assert client.get("/staff-desk-7f3a/login/").status_code == 200
            assert client.get("/admin/login/").status_code == 404
    finally:
        clear_url_caches()
        importlib.reload(config.urls)


def test_the_admin_verifies_the_audit_log(admin_client, clinic):
    from apps.audit.sealer import audit_seal_all

    PatientFactory(clinic=clinic)
    admin_client.get(CHANGELIST)  # writes a read event
    audit_seal_all()
    event = AuditEvent.objects.first()
    response = admin_client.post(
        "/admin/audit/auditevent/", {"action": "verify_log", "_selected_action": [str(event.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert "Verified:" in response.content.decode()
