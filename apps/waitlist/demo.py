"""Demo waitlist for `make run`: a few patients waiting in each demo clinic (an urgent one first)."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.clinics.models import Clinic
from apps.patients.models import Patient
from apps.waitlist.models import WaitlistEntry, WaitlistPriority

DEMO_ENTRIES = [
    (WaitlistPriority.URGENT, [], None, "Pain since Monday; any time"),
    (WaitlistPriority.SOON, [0, 2, 4], time(12), "Mornings only"),
    (WaitlistPriority.ROUTINE, [], None, ""),
]


def demo_waitlist(clinic: Clinic) -> int:
    """Idempotent: entries only if the clinic has none; for patients at the end of the register."""
    if WaitlistEntry.objects.filter(clinic=clinic).exists():
        return 0
    patients = list(Patient.objects.filter(clinic=clinic, active=True).order_by("-mrn")[: len(DEMO_ENTRIES)])
    today = timezone.now().astimezone(ZoneInfo(clinic.time_zone)).date()
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(
            clinic=clinic,
            patient=patient,
            date_from=today,
            date_to=today + timedelta(days=21),
            weekdays=weekdays,
            latest_time=latest,
            note=note,
            priority=priority,
        )
        for patient, (priority, weekdays, latest, note) in zip(patients, DEMO_ENTRIES, strict=False)
    )
    return len(patients)


def demo_step() -> list[tuple[str, str]]:
    """The demo step (apps.core.demo): a short waitlist in each demo clinic."""
    from apps.clinics.demo import demo_clinics

    for clinic in demo_clinics():
        demo_waitlist(clinic)
    return []
