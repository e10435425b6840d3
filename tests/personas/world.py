"""The clinic pair every persona case runs against, built once per test module."""

from dataclasses import dataclass, field
from typing import Any

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.clinics.tests.factories import MembershipFactory, clinic_with_staff
from apps.core.roles import Role
from tests.personas.case import Target
from tests.personas.expect import ANONYMOUS, HOME_LISTED, OTHER_CLINIC, OTHER_UNLISTED, Case


@dataclass
class World:
    """Two clinics with one member per role, and a second practitioner in each (``colleague``)."""

    clinic: Any
    other_clinic: Any
    tokens: dict[Any, str] = field(default_factory=dict)

    def client(self, user: Any | None) -> APIClient:
        client = APIClient()
        if user is not None:
            if user.pk not in self.tokens:
                self.tokens[user.pk] = str(RefreshToken.for_user(user).access_token)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[user.pk]}")
        return client

    def actor_of(self, case: Case) -> Any | None:
        if case.persona == ANONYMOUS:
            return None
        if case.persona in (OTHER_CLINIC, HOME_LISTED, OTHER_UNLISTED):
            return self.clinic.staff[case.tenancy_actor_role()]
        assert case.role is not None
        return self.clinic.staff[case.role]

    def target_of(self, case: Case) -> Target:
        """Where the case acts and whose record it is."""
        practitioner = self.clinic.staff[Role.PRACTITIONER]
        if case.persona == ANONYMOUS:
            return Target(clinic=self.clinic, actor=self.clinic.staff[Role.OWNER], owner=practitioner)
        actor = self.actor_of(case)
        if case.persona == HOME_LISTED:
            return Target(clinic=self.clinic, actor=actor, owner=practitioner)
        if case.persona in (OTHER_CLINIC, OTHER_UNLISTED):
            return Target(clinic=self.other_clinic, actor=actor, owner=self.other_clinic.staff[Role.PRACTITIONER])
        if case.on_others:
            return Target(clinic=self.clinic, actor=actor, owner=self.clinic.colleague)
        assert case.role is not None
        return Target(clinic=self.clinic, actor=actor, owner=actor if case.only_own(case.role) else practitioner)


def build_world() -> World:
    clinic: Any = clinic_with_staff(name="Persona Riverside")
    other_clinic: Any = clinic_with_staff(name="Persona Harbor")
    for each in (clinic, other_clinic):
        each.colleague = MembershipFactory(clinic=each, role=Role.PRACTITIONER).user
    return World(clinic=clinic, other_clinic=other_clinic)
