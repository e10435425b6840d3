from typing import Any

from django.core.management.base import BaseCommand

from apps.core.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Load demo clinics and staff (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_seed()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, description in logins:
            self.stdout.write(f"  {email:<36} {description}")
