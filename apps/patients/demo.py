"""Demo patients for `make run`: a few hundred plausible records per demo clinic."""

import random
from datetime import date, timedelta

from apps.clinics.demo import demo_clinics
from apps.clinics.models import Clinic, ClinicCounter
from apps.core.demo_names import FAMILY_NAMES, GIVEN_NAMES
from apps.patients.models import Patient, Sex
from apps.patients.search import format_mrn, search_name_of

PATIENTS_PER_CLINIC = 300
STREETS = ["Hauptstraße", "Main Street", "Oak Avenue", "Rue de la Paix", "Calle Mayor", "Lindenweg"]


def demo_patients(clinic: Clinic, *, count: int, seed: int) -> int:
    """Bulk-create plausible patients for a clinic that has none; returns how many were made."""
    if Patient.objects.filter(clinic=clinic).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    dialling = {"DE": "+4930", "US": "+1212"}.get(clinic.country, "+4930")
    patients = []
    for number in range(1, count + 1):
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        patients.append(
            Patient(
                clinic=clinic,
                mrn=format_mrn(number),
                given_name=given,
                family_name=family,
                search_name=search_name_of(given, family),
                date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365)),
                sex=rng.choice([Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN]),
                phone=f"{dialling}{rng.randrange(5550000, 5559999)}",
                address_line=f"{rng.choice(STREETS)} {rng.randrange(1, 200)}",
                city="Berlin" if clinic.country == "DE" else "New York",
                country=clinic.country,
            )
        )
    Patient.objects.bulk_create(patients)
    ClinicCounter.objects.update_or_create(clinic=clinic, key="mrn", defaults={"value": count})
    return count


def demo_step() -> list[tuple[str, str]]:
    for clinic in demo_clinics():
        demo_patients(clinic, count=PATIENTS_PER_CLINIC, seed=len(clinic.slug))
    return []
