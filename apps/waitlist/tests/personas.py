"""Persona entries for the waitlist and its offers (run by tests/test_personas.py).

The matrix (apps.core.roles, "waitlist"): owners, admins and receptionists write; practitioners
read; billing neither (404 on records, 403 on lists and the day).
"""

from datetime import timedelta

from apps.core.roles import Role
from apps.patients.tests.personas import new_patient_id
from apps.scheduling.tests.factories import days_ahead, local_at, open_all_week
from apps.waitlist.models import WaitlistOfferNotification, WaitlistSettings
from apps.waitlist.tests.factories import WaitlistEntryFactory, WaitlistOfferFactory
from tests.personas import PersonaCase, Target


def an_entry(target: Target):
    return WaitlistEntryFactory(clinic=target.clinic)


def a_new_entry(target: Target, obj) -> dict:
    return {
        "clinic": str(target.clinic.pk),
        "patient": new_patient_id(target.clinic),
        "date_from": days_ahead(1).isoformat(),
        "date_to": days_ahead(10).isoformat(),
        "weekdays": [0, 2],
        "note": "Mornings",
    }


def an_offer(target: Target):
    """A pending offer of a slot the clinic's practitioner really has free (confirming books it)."""
    practitioner = target.clinic.staff[Role.PRACTITIONER]
    open_all_week(target.clinic, practitioner)
    start = local_at(target.clinic, days_ahead(4), "10:00")
    return WaitlistOfferFactory(
        entry=WaitlistEntryFactory(clinic=target.clinic),
        practitioner=practitioner,
        start=start,
        end=start + timedelta(minutes=30),
    )


PERSONAS = {
    "waitlist-entry-list": PersonaCase(make_object=an_entry, body=a_new_entry),
    "waitlist-entry-detail": PersonaCase(make_object=an_entry, body=lambda target, obj: {"priority": 1}),
    "waitlist-entry-remove": PersonaCase(make_object=an_entry),
    "waitlist-entry-day": PersonaCase(query=lambda target: {"date": days_ahead(3).isoformat()}),
    "waitlist-offer-detail": PersonaCase(make_object=an_offer),
    "waitlist-offer-confirm": PersonaCase(make_object=an_offer),
    "waitlist-offer-decline": PersonaCase(make_object=an_offer),
}

INTERNAL_MODELS = {
    WaitlistOfferNotification: "an offer's messages, planned and sent by the waitlist tasks, not an API resource",
    WaitlistSettings: "a clinic's offer hold time, edited in the admin",
}
