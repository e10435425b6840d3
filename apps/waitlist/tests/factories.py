from datetime import timedelta

import factory
from django.utils import timezone

from apps.clinics.tests.factories import ClinicFactory
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.tests.factories import days_ahead
from apps.waitlist.models import WaitlistEntry, WaitlistOffer


class WaitlistEntryFactory(factory.django.DjangoModelFactory):
    """A waiting patient of ``clinic`` for the coming two weeks, any day, any time, any practitioner."""

    class Meta:
        model = WaitlistEntry

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.LazyAttribute(lambda e: PatientFactory(clinic=e.clinic))
    date_from = factory.LazyFunction(lambda: days_ahead(0))
    date_to = factory.LazyFunction(lambda: days_ahead(14))


class WaitlistOfferFactory(factory.django.DjangoModelFactory):
    """Inserted directly (no free-slot check): for fixtures, not for testing the offering."""

    class Meta:
        model = WaitlistOffer

    entry = factory.SubFactory(WaitlistEntryFactory)
    clinic = factory.SelfAttribute("entry.clinic")
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=30))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))
