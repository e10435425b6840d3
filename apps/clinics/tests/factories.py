from typing import Any

import factory

from apps.accounts.tests.factories import UserFactory
from apps.clinics.models import Clinic, Membership
from apps.core.roles import Role


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "Europe/Berlin"
    currency = "EUR"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.PRACTITIONER


def clinic_with_staff(*, name: str) -> Clinic:
    """A clinic with one member in every role, reachable as ``clinic.staff[role]``."""
    clinic: Any = ClinicFactory(name=name)
    clinic.staff = {role: MembershipFactory(clinic=clinic, role=role).user for role in Role}
    return clinic
