"""Persona entries for visit records: DESIGN.md's clinical-notes column (practitioner own rw; owner, admin r)."""

from decimal import Decimal

from apps.billing.tests.factories import CatalogItemFactory
from apps.core.roles import Role
from apps.visits.services import visit_sign
from apps.visits.tests.factories import appointment_of, open_visit
from tests.personas import PersonaCase, Target


def an_open_visit(target: Target):
    return open_visit(target.clinic, practitioner=target.staff(Role.PRACTITIONER))


def a_signed_visit(target: Target):
    service = CatalogItemFactory(clinic=target.clinic)
    visit = open_visit(target.clinic, practitioner=target.staff(Role.PRACTITIONER), services=[(service, Decimal("1"))])
    return visit_sign(actor=visit.practitioner, visit=visit)


def new_visit(target: Target, obj) -> dict:
    appointment = appointment_of(target.clinic, practitioner=target.staff(Role.PRACTITIONER))
    return {"appointment": str(appointment.pk), "note": "Persona note.", "diagnosis_codes": ["J06.9"]}


PERSONAS = {
    "visit-list": PersonaCase(make_object=an_open_visit, body=new_visit, body_clinic_field="appointment"),
    "visit-detail": PersonaCase(make_object=an_open_visit, body=lambda target, obj: {"note": "Changed."}),
    "visit-sign": PersonaCase(make_object=an_open_visit),
    "visit-complete": PersonaCase(make_object=a_signed_visit),
    "visit-addenda": PersonaCase(make_object=a_signed_visit, body=lambda target, obj: {"text": "Addendum."}),
}
