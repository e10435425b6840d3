"""Visit records: DESIGN.md's clinical-notes column cell by cell, sign and addenda, audited reads, bad input."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.tests.factories import CatalogItemFactory
from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role
from apps.scheduling.models import AppointmentStatus
from apps.visits.models import Addendum, Visit, VisitService, VisitStatus
from apps.visits.services import visit_sign
from apps.visits.tests.factories import appointment_of, open_visit

pytestmark = pytest.mark.django_db
LIST = reverse("visit-list")


def detail(visit):
    return reverse("visit-detail", args=[visit.pk])


def act(visit, name):
    return reverse(f"visit-{name}", args=[visit.pk])


def snapshot(visit):
    visit.refresh_from_db()
    services = list(VisitService.objects.filter(visit=visit).values_list("service_id", "quantity"))
    return (visit.status, visit.note, visit.diagnosis_codes, services, Addendum.objects.filter(visit=visit).count())


# --- the clinical-notes column, cell by cell ---------------------------------------------------

# role -> (reads own?, reads a colleague's?, writes own?)
COLUMN = {
    Role.OWNER: "r",
    Role.ADMIN: "r",
    Role.PRACTITIONER: "rw (own)",
    Role.RECEPTIONIST: "-",
    Role.BILLING: "-",
}


@pytest.mark.parametrize("role", list(Role))
def test_reading_follows_the_clinical_notes_column(as_user, clinic, role):
    mine = open_visit(clinic)  # the clinic's practitioner's
    colleague = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
    theirs = open_visit(clinic, practitioner=colleague)
    client = as_user(clinic.staff[role])
    cell = COLUMN[role]
    listed = client.get(LIST)
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.data["results"]}
    if cell == "r":
        assert ids == {str(mine.pk), str(theirs.pk)}
        assert client.get(detail(theirs)).status_code == 200
    elif cell == "rw (own)":
        assert ids == {str(mine.pk)}
        assert client.get(detail(mine)).data["note"] == "Sore throat, no fever."
        assert client.get(detail(theirs)).status_code == 404  # a colleague's note looks missing
    else:
        assert ids == set()
        assert client.get(detail(mine)).status_code == 404
        assert client.get(act(mine, "addenda")).status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_writing_follows_the_clinical_notes_column(as_user, clinic, role):
    visit = open_visit(clinic)
    before = snapshot(visit)
    client = as_user(clinic.staff[role])
    appointment = appointment_of(clinic)
    opened = client.post(LIST, {"appointment": str(appointment.pk), "note": "x"}, format="json")
    patched = client.patch(detail(visit), {"note": "changed"}, format="json")
    signed = client.post(act(visit, "sign"))
    if role == Role.PRACTITIONER:
        assert (opened.status_code, patched.status_code, signed.status_code) == (201, 200, 200)
        assert client.post(act(visit, "addenda"), {"text": "Later: culture negative."}).status_code == 201
        return
    readable = COLUMN[role] == "r"
    # owners and admins read, so their refused writes are 403; the rest cannot see the record (404)
    assert opened.status_code == 403
    assert patched.status_code == (403 if readable else 404)
    assert signed.status_code == (403 if readable else 404)
    assert client.post(act(visit, "addenda"), {"text": "x"}).status_code == (403 if readable else 404)
    assert snapshot(visit) == before
    assert not Visit.objects.filter(appointment=appointment).exists()


def test_another_practitioner_cannot_open_or_write_the_record(as_user, clinic):
    colleague = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
    visit = open_visit(clinic)
    before = snapshot(visit)
    client = as_user(colleague)
    response = client.post(LIST, {"appointment": str(appointment_of(clinic).pk)}, format="json")
    assert (response.status_code, response.data["code"]) == (403, "not_your_visit")
    assert client.patch(detail(visit), {"note": "mine"}, format="json").status_code == 404
    assert snapshot(visit) == before
    assert Visit.objects.count() == 1


def test_another_clinic_sees_nothing_and_its_appointment_is_400(as_user, clinic, other_clinic):
    theirs = open_visit(other_clinic)
    client = as_user(clinic.staff[Role.PRACTITIONER])
    assert client.get(detail(theirs)).status_code == 404
    assert client.patch(detail(theirs), {"note": "x"}, format="json").status_code == 404
    response = client.post(LIST, {"appointment": str(appointment_of(other_clinic).pk)}, format="json")
    assert response.status_code == 400
    assert list(response.data["fields"]) == ["appointment"]
    assert Visit.objects.count() == 1


def test_anonymous_is_401(api, clinic):
    visit = open_visit(clinic)
    assert api.get(LIST).status_code == 401
    assert api.get(detail(visit)).status_code == 401
    assert api.post(act(visit, "sign")).status_code == 401


# --- open, edit, sign, addenda ---------------------------------------------------------------


def test_a_practitioner_writes_signs_and_adds_an_addendum(as_user, clinic):
    service = CatalogItemFactory(clinic=clinic, code="CONS", name="Consultation")
    appointment = appointment_of(clinic)
    client = as_user(clinic.staff[Role.PRACTITIONER])
    body = {
        "appointment": str(appointment.pk),
        "note": "Cough for 3 days.\nLungs clear.",
        "services": [{"service": str(service.pk), "quantity": "1"}],
        "diagnosis_codes": ["j06.9", "R05", "J06.9"],
    }
    opened = client.post(LIST, body, format="json")
    assert opened.status_code == 201, opened.data
    assert opened.data["diagnosis_codes"] == ["J06.9", "R05"]
    assert [(s["code"], s["quantity"]) for s in opened.data["services"]] == [("CONS", "1")]
    again = client.post(LIST, {"appointment": str(appointment.pk)}, format="json")
    assert (again.status_code, again.data["id"]) == (200, opened.data["id"])  # one record per appointment
    visit = Visit.objects.get()
    signed = client.post(act(visit, "sign"))
    assert (signed.status_code, signed.data["status"]) == (200, "signed")
    for change in ({"note": "rewritten"}, {"diagnosis_codes": ["A00"]}, {"services": []}):
        response = client.patch(detail(visit), change, format="json")
        assert (response.status_code, response.data["code"]) == (409, "visit_signed")
    assert client.post(act(visit, "sign")).status_code == 409
    added = client.post(act(visit, "addenda"), {"text": "X-ray: no infiltrate."})
    assert added.status_code == 201, added.data
    listed = client.get(act(visit, "addenda"))
    assert [item["text"] for item in listed.data["results"]] == ["X-ray: no infiltrate."]
    visit.refresh_from_db()
    assert (visit.status, visit.note) == (VisitStatus.SIGNED, "Cough for 3 days.\nLungs clear.")


def test_an_addendum_needs_a_signed_note_and_a_cancelled_appointment_has_no_record(as_user, clinic):
    visit = open_visit(clinic)
    client = as_user(clinic.staff[Role.PRACTITIONER])
    assert client.post(act(visit, "addenda"), {"text": "x"}).status_code == 409
    cancelled = appointment_of(clinic, status=AppointmentStatus.CANCELLED)
    response = client.post(LIST, {"appointment": str(cancelled.pk)}, format="json")
    assert (response.status_code, response.data["code"]) == (409, "appointment_not_visited")
    assert not Addendum.objects.exists()


def test_every_read_of_a_note_is_audited_without_its_text(as_user, clinic):
    visit = open_visit(clinic)
    visit_sign(actor=visit.practitioner, visit=visit)
    client = as_user(clinic.staff[Role.OWNER])
    assert client.get(detail(visit)).status_code == 200
    assert client.get(LIST).status_code == 200
    assert client.get(act(visit, "addenda")).status_code == 200
    read = AuditEvent.objects.filter(action="visit.read", resource_id=str(visit.pk))
    assert read.count() == 2
    assert read.first().actor_id == clinic.staff[Role.OWNER].pk
    listed = AuditEvent.objects.get(action="visit.list")
    assert listed.changes["ids"] == [str(visit.pk)]
    assert listed.changes["patients"] == [str(visit.patient_id)]
    assert not AuditEvent.objects.filter(changes__icontains="Sore throat").exists()


# --- bad input: 4xx and nothing written ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"diagnosis_codes": ["J06.9\x00"]}, "diagnosis_codes"),
        ({"diagnosis_codes": ["J06\u200b.9"]}, "diagnosis_codes"),  # a zero-width space (format character)
        ({"diagnosis_codes": ["U07.1"]}, "diagnosis_codes"),  # U is reserved
        ({"diagnosis_codes": ["J06.9; DROP TABLE"]}, "diagnosis_codes"),
        ({"diagnosis_codes": ["1234"]}, "diagnosis_codes"),
        ({"services": [{"service": "SVC", "quantity": "-1"}]}, "services"),
        ({"services": [{"service": "SVC", "quantity": "0"}]}, "services"),
        ({"services": [{"service": "OTHER", "quantity": "1"}]}, "services"),  # another clinic's service
        ({"note": "bell\x07"}, "note"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_4xx_and_writes_nothing(as_user, clinic, other_clinic, change, field):
    mine = CatalogItemFactory(clinic=clinic)
    theirs = CatalogItemFactory(clinic=other_clinic)
    if "services" in change:
        item = dict(change["services"][0])
        item["service"] = str(theirs.pk if item["service"] == "OTHER" else mine.pk)
        change = {"services": [item]}
    visit = open_visit(clinic, services=[(mine, Decimal("2"))])
    before = snapshot(visit)
    client = as_user(clinic.staff[Role.PRACTITIONER])
    response = client.patch(detail(visit), change, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"]
    assert snapshot(visit) == before
    appointment = appointment_of(clinic)
    response = client.post(LIST, {"appointment": str(appointment.pk), **change}, format="json")
    assert response.status_code == 400, response.data
    assert not Visit.objects.filter(appointment=appointment).exists()
