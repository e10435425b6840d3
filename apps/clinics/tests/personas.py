"""Persona entries for clinics and members (tests/test_personas.py runs them)."""

import secrets
from datetime import timedelta

from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.clinics.models import ClinicCounter, Invitation
from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role
from tests.personas import PersonaCase, Target


def clinic_itself(target: Target):
    return target.clinic


def clinic_with_a_second_owner(target: Target):
    """A clinic its owner may leave: the last owner may not (test_api.py checks that refusal)."""
    MembershipFactory(clinic=target.clinic, role=Role.OWNER)
    return target.clinic


def a_receptionist(target: Target):
    return MembershipFactory(clinic=target.clinic, role=Role.RECEPTIONIST)


def an_invitation(target: Target):
    return Invitation.objects.create(
        clinic=target.clinic,
        email=UserFactory.build().email,
        role=Role.BILLING,
        token_hash=secrets.token_hex(32),
        invited_by=target.clinic.staff[Role.OWNER],
        expires_at=timezone.now() + timedelta(days=7),
    )


PERSONAS = {
    "clinic-list": PersonaCase(
        make_object=clinic_itself,
        body=lambda target, obj: {"name": "Persona New Clinic", "time_zone": "Europe/Berlin"},
        any_member=("POST",),
        no_other_clinic={
            "GET": "?clinic= does not narrow the list of the caller's clinics (another one is still never listed)",
            "POST": "a new clinic names no existing one",
        },
    ),
    "clinic-detail": PersonaCase(
        make_object=clinic_itself,
        body=lambda target, obj: {
            "name": "Renamed",
            "legal_name": "Renamed MVZ GmbH",
            "tax_number": "DE 999999999",
            "locale": "de-DE",
            "address": "Hauptstraße 5\n10827 Berlin",
        },
    ),
    "clinic-leave": PersonaCase(make_object=clinic_with_a_second_owner),
    "clinic-members": PersonaCase(),
    "clinic-invitations": PersonaCase(
        body=lambda target, obj: {"email": UserFactory().email, "role": Role.RECEPTIONIST.value},
    ),
    "clinic-invitation-revoke": PersonaCase(make_object=an_invitation),
    "invitation-accept": PersonaCase(
        unscoped="the emailed token decides (test_invitations.py); open to new accounts", anonymous=400
    ),
    "clinic-member": PersonaCase(make_object=a_receptionist, body=lambda target, obj: {"role": Role.BILLING.value}),
}

INTERNAL_MODELS = {ClinicCounter: "gapless MRN and invoice counters, used inside services only"}
