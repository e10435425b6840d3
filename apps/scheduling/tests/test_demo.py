"""Demo data: every demo practitioner has hours and a week of appointments; seeding twice changes nothing."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.clinics.models import Membership
from apps.core.roles import Role
from apps.scheduling.models import ACTIVE_STATUSES, Appointment, Availability

pytestmark = pytest.mark.django_db


def test_demo_schedule_is_complete_consistent_and_idempotent():
    call_command("seed_demo")
    counts = (Availability.objects.count(), Appointment.objects.count())
    call_command("seed_demo")
    assert (Availability.objects.count(), Appointment.objects.count()) == counts
    practitioners = Membership.objects.filter(role=Role.PRACTITIONER)
    assert practitioners.count() == 2
    now = timezone.now()
    for membership in practitioners:
        assert Availability.objects.filter(clinic=membership.clinic, practitioner=membership.user).count() == 10
        mine = Appointment.objects.filter(clinic=membership.clinic, practitioner=membership.user)
        assert mine.exists()
        assert all(now - timedelta(days=1) < a.start < now + timedelta(days=8) for a in mine)
        assert all(a.patient.clinic_id == membership.clinic_id for a in mine)
        # No practitioner is double-booked, and no patient either (below).
        active = list(mine.filter(status__in=ACTIVE_STATUSES).order_by("start"))
        assert all(earlier.end <= later.start for earlier, later in pairwise(active))
    patients = Appointment.objects.values_list("patient_id", "start")
    assert len(set(patients)) == len(patients)


def test_admin_changelists_open_for_a_superuser(client, clinic):
    from apps.accounts.models import User
    from apps.scheduling.tests.factories import AppointmentFactory

    AppointmentFactory(clinic=clinic, practitioner=clinic.staff[Role.PRACTITIONER])
    client.force_login(User.objects.create_superuser("root@example.test", "a-long-enough-passphrase-9"))
    for model in (
        "appointment",
        "availability",
        "availabilityexception",
        "notification",
        "schedulingsettings",
        "reminderpreference",
    ):
        assert client.get(f"/admin/scheduling/{model}/").status_code == 200, model
    appointment = Appointment.objects.get()
    assert client.get(f"/admin/scheduling/appointment/{appointment.pk}/change/").status_code == 200
