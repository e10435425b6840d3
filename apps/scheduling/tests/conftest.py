import pytest

from apps.core.roles import Role
from apps.scheduling.tests.factories import open_all_week


@pytest.fixture
def practitioner(clinic):
    """The clinic's practitioner, available 08:00-18:00 local every day."""
    user = clinic.staff[Role.PRACTITIONER]
    open_all_week(clinic, user)
    return user


@pytest.fixture
def patient(clinic):
    from apps.patients.tests.factories import PatientFactory

    return PatientFactory(clinic=clinic)


@pytest.fixture
def second_practitioner(clinic):
    from apps.clinics.tests.factories import MembershipFactory

    user = MembershipFactory(clinic=clinic, role=Role.PRACTITIONER).user
    open_all_week(clinic, user)
    return user


@pytest.fixture
def sms_outbox(settings):
    from apps.scheduling.sms import LocmemSmsBackend

    settings.SMS_BACKEND = "apps.scheduling.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    return LocmemSmsBackend.outbox
