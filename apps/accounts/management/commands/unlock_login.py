"""Unlock an account or an address locked out after failed logins."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.lockout import lockout_clear


class Command(BaseCommand):
    help = "Clear the recent failed logins of an account (--email) and/or an address (--ip)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", help="the account's email")
        parser.add_argument("--ip", help="the client address")

    def handle(self, *args: Any, email: str | None = None, ip: str | None = None, **options: Any) -> None:
        if not email and not ip:
            raise CommandError("Name an account (--email) or an address (--ip).")
        cleared = lockout_clear(email=email, ip=ip)
        self.stdout.write(f"Cleared {cleared} failed attempts.")
