from datetime import date

import factory

from apps.clinics.tests.factories import ClinicFactory
from apps.patients.models import Patient
from apps.patients.search import format_mrn, search_name_of


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: format_mrn(900000 + n))
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_between", start_date=date(1940, 1, 1), end_date=date(2015, 12, 31))
    sex = "female"
    phone = factory.Sequence(lambda n: f"+4930{5000000 + n}")
    search_name = factory.LazyAttribute(lambda p: search_name_of(p.given_name, p.family_name))
