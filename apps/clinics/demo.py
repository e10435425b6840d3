"""Demo clinics and one member of staff per role in each (the first demo step)."""

from apps.accounts.models import User
from apps.clinics.models import Clinic, Membership
from apps.core.demo import DEMO_PASSWORD
from apps.core.roles import Role

CLINICS = [
    ("Riverside Family Clinic", "riverside", "Europe/Berlin", "EUR", "DE"),
    ("Harbor Street Medical", "harbor", "America/New_York", "USD", "US"),
]


def demo_clinics() -> list[Clinic]:
    """The demo clinics, in the order they were declared (for the other apps' steps)."""
    by_slug = {clinic.slug: clinic for clinic in Clinic.objects.filter(slug__in=[c[1] for c in CLINICS])}
    return [by_slug[slug] for _, slug, *_ in CLINICS if slug in by_slug]


def demo_staff(clinic: Clinic, role: Role) -> User:
    return User.objects.get(email=f"{role.value}@{clinic.slug}.demo.clinicops.test")


def demo_step() -> list[tuple[str, str]]:
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
    return logins
