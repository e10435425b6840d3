import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.archive import audit_archive_verify
from apps.audit.checkpoint_format import load_published
from apps.audit.verify import audit_log_verify


class Command(BaseCommand):
    help = (
        "Recompute every audit checkpoint from the events and report the first mismatch; "
        "with --checkpoint, also prove the log only grew since each published checkpoint in FILE; "
        "with --archive, check archive files (audit_archive) offline instead of the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="published checkpoint(s): a JSON object, a JSON list or JSON lines (repeatable)",
        )
        parser.add_argument(
            "--archive",
            action="append",
            default=[],
            metavar="FILE",
            help="an archive written by audit_archive: verify its events against its signed checkpoint (repeatable)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["archive"]:
            self._archives(options["archive"])
            return
        published = []
        for name in options["checkpoint"]:
            try:
                published.extend(load_published(Path(name).read_text()))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read checkpoint file {name}: {exc}") from None
        report = audit_log_verify(published=published)
        if options["json"]:
            body = {
                "ok": report.ok,
                "legacy_events": report.legacy_events,
                "events": report.events,
                "checkpoints": report.checkpoints,
                "published": report.published,
                "problems": [{"kind": p.kind, "message": p.message, **p.detail} for p in report.problems],
            }
            self.stdout.write(json.dumps(body, default=str))
        else:
            self.stdout.write(
                f"legacy chain events: {report.legacy_events}; sealed events: {report.events}; "
                f"checkpoints: {report.checkpoints}; published checkpoints checked: {report.published}"
            )
            for problem in report.problems:
                detail = ", ".join(f"{k}={v}" for k, v in problem.detail.items())
                self.stdout.write(f"MISMATCH {problem.kind}: {problem.message} ({detail})")
        if not report.ok:
            first = report.first_problem
            assert first is not None
            raise CommandError(f"audit log verification failed: {first.kind}")
        self.stdout.write("audit log verified")

    def _archives(self, names: list[str]) -> None:
        failed = False
        for name in names:
            try:
                with Path(name).open(encoding="ascii") as lines:
                    report = audit_archive_verify(lines)
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read archive {name}: {exc}") from None
            for problem in report.problems[:20]:
                self.stdout.write(f"MISMATCH {name}: {problem}")
            self.stdout.write(
                f"{name}: {report.events} events verified against the signed checkpoint of tree size "
                f"{report.tree_size}; {len(report.problems)} problem(s)"
            )
            failed = failed or not report.ok
        if failed:
            raise CommandError("audit archive verification failed")
        self.stdout.write("audit archive verified")
