"""Demo data for `make run`: two clinics and staff in every role. Idempotent."""

from django.db import transaction

from apps.accounts.models import User
from apps.clinics.models import Clinic, Membership
from apps.core.roles import Role

DEMO_PASSWORD = "demo-pass-2026!"  # noqa: S105  (demo data for a laptop, printed on purpose)

CLINICS = [
    ("Riverside Family Clinic", "riverside", "Europe/Berlin", "EUR"),
    ("Harbor Street Medical", "harbor", "America/New_York", "USD"),
]


@transaction.atomic
def demo_seed() -> list[tuple[str, str]]:
    """Create (or find) the demo clinics and one user per role in each; returns (email, description)."""
    logins: list[tuple[str, str]] = []
    admin_email = "admin@demo.clinicops.test"
    if not User.objects.filter(email=admin_email).exists():
        User.objects.create_superuser(admin_email, DEMO_PASSWORD, full_name="Demo Superuser")
    logins.append((admin_email, "superuser for /admin/"))
    for name, slug, time_zone, currency in CLINICS:
        clinic, _ = Clinic.objects.get_or_create(
            slug=slug, defaults={"name": name, "time_zone": time_zone, "currency": currency}
        )
        for role in Role:
            email = f"{role.value}@{slug}.demo.clinicops.test"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=f"{role.label} at {name}")
            Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role})
            logins.append((email, f"{role.value} at {name}"))
    return logins
