"""Creates the Beat schedule (django-celery-beat rows) from settings.PERIODIC_TASKS."""

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@transaction.atomic
def periodic_tasks_sync() -> list[str]:
    """Create or update each declared periodic task; idempotent, returns the names."""
    names = []
    for name, spec in settings.PERIODIC_TASKS.items():
        schedule: dict[str, object] = {"interval": None, "crontab": None}
        if "every_seconds" in spec:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=int(spec["every_seconds"]),  # type: ignore[call-overload]
                period=IntervalSchedule.SECONDS,
            )
            schedule["interval"] = interval
        elif "every_minutes" in spec:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=int(spec["every_minutes"]),  # type: ignore[call-overload]
                period=IntervalSchedule.MINUTES,
            )
            schedule["interval"] = interval
        else:
            fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
            fields.update(spec["crontab"])  # type: ignore[call-overload]
            crontab, _ = CrontabSchedule.objects.get_or_create(timezone="UTC", **fields)
            schedule["crontab"] = crontab
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": spec["task"], "enabled": True, **schedule})
        names.append(name)
    return names
