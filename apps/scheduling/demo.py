"""Demo schedule for `make run`: weekday hours for every practitioner and a week of appointments."""

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.clinics.models import Clinic, Membership
from apps.core.roles import Role
from apps.patients.models import Patient
from apps.scheduling.models import Appointment, AppointmentStatus, Availability

# Weekdays 09:00-12:00 and 13:00-17:00 local, in 30-minute slots.
HOURS = [(time(9), time(12)), (time(13), time(17))]
SLOT = timedelta(minutes=30)
PER_DAY = 8
REASONS = ["Check-up", "Follow-up", "Vaccination", "Blood test results", "Back pain", "Prescription renewal"]


def demo_schedule(clinic: Clinic, *, seed: int) -> int:
    """Idempotent: hours for practitioners who have none; appointments only if the clinic has none."""
    practitioners = list(
        Membership.objects.filter(clinic=clinic, role=Role.PRACTITIONER).values_list("user_id", flat=True)
    )
    for practitioner_id in practitioners:
        if not Availability.objects.filter(clinic=clinic, practitioner_id=practitioner_id).exists():
            Availability.objects.bulk_create(
                Availability(
                    clinic=clinic, practitioner_id=practitioner_id, weekday=day, start_time=start, end_time=end
                )
                for day in range(5)
                for start, end in HOURS
            )
    if Appointment.objects.filter(clinic=clinic).exists():
        return 0
    patients = list(Patient.objects.filter(clinic=clinic, active=True).values_list("pk", flat=True)[:500])
    if not patients:
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    zone = ZoneInfo(clinic.time_zone)
    now = timezone.now()
    today = now.astimezone(zone).date()
    appointments = []
    for offset in range(7):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        starts = [
            datetime.combine(day, start, tzinfo=zone) + n * SLOT
            for start, end in HOURS
            for n in range(int((datetime.combine(day, end) - datetime.combine(day, start)) / SLOT))
        ]
        for practitioner_id in practitioners:
            for start in sorted(rng.sample(starts, PER_DAY)):
                end = start + SLOT
                if end <= now:
                    status = AppointmentStatus.NO_SHOW if rng.random() < 0.1 else AppointmentStatus.COMPLETED
                elif start <= now:
                    status = AppointmentStatus.CHECKED_IN
                else:
                    status = AppointmentStatus.BOOKED
                appointments.append(
                    Appointment(
                        clinic=clinic,
                        # One patient per slot time, so no patient is in two places at once.
                        patient_id=patients[
                            (
                                starts.index(start) * len(practitioners)
                                + practitioners.index(practitioner_id)
                                + offset * 31
                            )
                            % len(patients)
                        ],
                        practitioner_id=practitioner_id,
                        start=start,
                        end=end,
                        status=status,
                        reason=rng.choice(REASONS),
                    )
                )
    Appointment.objects.bulk_create(appointments)
    return len(appointments)


def demo_step() -> list[tuple[str, str]]:
    """The demo step (apps.core.demo): hours and a week of appointments for each demo clinic."""
    from apps.clinics.demo import demo_clinics

    for clinic in demo_clinics():
        demo_schedule(clinic, seed=len(clinic.slug))
    return []
