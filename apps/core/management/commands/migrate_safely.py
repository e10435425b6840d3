"""``migrate`` for releases: it fails fast on a lock instead of queueing traffic behind it.

An ALTER TABLE waits for every transaction that holds a lock on the table,
and while it waits, every new query on that table queues behind it: one long
report can stall the whole API for the length of the deploy. With a
``lock_timeout`` the migration gives up after a few seconds, its transaction
rolls back (each migration is atomic on PostgreSQL), the release stops with a
non-zero exit and the old version keeps serving; run the release again later.
"""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections


class Command(BaseCommand):
    help = "migrate with a PostgreSQL lock_timeout (MIGRATE_LOCK_TIMEOUT, default 5s); fails loudly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lock-timeout", default=settings.MIGRATE_LOCK_TIMEOUT)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Session level: it holds for every migration this command runs on this connection.
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", [options["lock_timeout"]])
        try:
            call_command(
                "migrate",
                database=options["database"],
                interactive=options["interactive"],
                verbosity=options["verbosity"],
            )
        except Exception as exc:
            message = f"release: migrate FAILED ({type(exc).__name__}: {str(exc).strip()}); the release stops here"
            raise CommandError(message, returncode=1) from exc
