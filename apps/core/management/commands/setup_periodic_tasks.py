from typing import Any

from django.core.management.base import BaseCommand

from apps.core.periodic import periodic_tasks_sync


class Command(BaseCommand):
    help = "Create or update the Celery Beat schedule from settings.PERIODIC_TASKS (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        names = periodic_tasks_sync()
        self.stdout.write(f"periodic tasks in place: {', '.join(names)}")
