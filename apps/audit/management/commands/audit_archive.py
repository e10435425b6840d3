from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive, make_aware

from apps.audit.archive import audit_archive_export
from apps.core.errors import ConflictError


def _moment(value: str) -> datetime:
    date = parse_date(value)
    moment = datetime.combine(date, time.min) if date else parse_datetime(value)
    if moment is None:
        raise CommandError(f"--before: not a date or date-time: {value!r}")
    return make_aware(moment) if is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Export the sealed audit events recorded before DATE, each with its inclusion proof against the "
        "latest signed checkpoint, as JSON lines (audit_verify --archive FILE checks the file offline). "
        "The events stay in the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="YYYY-MM-DD (midnight UTC) or an ISO date-time")
        parser.add_argument("--out", required=True, metavar="FILE", help="the archive to write (must not exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["out"])
        try:
            with path.open("x", encoding="ascii") as out:
                result = audit_archive_export(before=_moment(options["before"]), out=out)
        except FileExistsError:
            raise CommandError(f"{path} exists; an archive is never overwritten") from None
        except ConflictError as exc:
            path.unlink(missing_ok=True)
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"archived {result.events} sealed events against the checkpoint of tree size {result.tree_size}"
        )
