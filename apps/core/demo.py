"""Demo data for `make run`: two clinics and staff in every role. Idempotent."""

import random
from datetime import date, timedelta

from django.db import transaction

from apps.accounts.models import User
from apps.clinics.models import Clinic, ClinicCounter, Membership
from apps.core.demo_names import FAMILY_NAMES, GIVEN_NAMES
from apps.core.roles import Role

PATIENTS_PER_CLINIC = 300
STREETS = ["Hauptstraße", "Main Street", "Oak Avenue", "Rue de la Paix", "Calle Mayor", "Lindenweg"]


def demo_patients(clinic: Clinic, *, count: int, seed: int) -> int:
    """Bulk-create plausible patients for a clinic that has none; returns how many were made."""
    from apps.patients.models import Patient, Sex
    from apps.patients.search import format_mrn, search_name_of

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


DEMO_PASSWORD = "demo-pass-2026!"  # noqa: S105  (demo data for a laptop, printed on purpose)

CLINICS = [
    ("Riverside Family Clinic", "riverside", "Europe/Berlin", "EUR", "DE"),
    ("Harbor Street Medical", "harbor", "America/New_York", "USD", "US"),
]


@transaction.atomic
def demo_seed() -> list[tuple[str, str]]:
    """Create (or find) the demo clinics and one user per role in each; returns (email, description)."""
    logins: list[tuple[str, str]] = []
    admin_email = "admin@demo.clinicops.test"
    if not User.objects.filter(email=admin_email).exists():
        User.objects.create_superuser(admin_email, DEMO_PASSWORD, full_name="Demo Superuser")
    logins.append((admin_email, "superuser for /admin/"))
    for name, slug, time_zone, currency, country in CLINICS:
        clinic, _ = Clinic.objects.get_or_create(
            slug=slug, defaults={"name": name, "time_zone": time_zone, "currency": currency, "country": country}
        )
        for role in Role:
            email = f"{role.value}@{slug}.demo.clinicops.test"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=f"{role.label} at {name}")
            Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role})
            logins.append((email, f"{role.value} at {name}"))
        demo_patients(clinic, count=PATIENTS_PER_CLINIC, seed=len(slug))
        _demo_billing(clinic)
        from apps.scheduling.demo import demo_schedule

        demo_schedule(clinic, seed=len(slug))
    return logins


def _demo_billing(clinic: Clinic) -> None:
    from apps.billing.demo import demo_billing

    demo_billing(clinic, actor=User.objects.get(email=f"{Role.BILLING.value}@{clinic.slug}.demo.clinicops.test"))
