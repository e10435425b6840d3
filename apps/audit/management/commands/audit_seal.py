from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.sealer import LegacyChainBrokenError, audit_seal


class Command(BaseCommand):
    help = "Seal pending audit events into signed checkpoints until none is pending (what Beat runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=None, help="events per checkpoint at most")
        parser.add_argument(
            "--accept-broken-legacy-chain",
            action="store_true",
            help="anchor the first checkpoint even though the pre-checkpoint chain does not verify",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total = checkpoints = 0
        while True:
            try:
                result = audit_seal(
                    batch_size=options["batch_size"],
                    accept_broken_legacy_chain=options["accept_broken_legacy_chain"],
                )
            except LegacyChainBrokenError as exc:
                raise CommandError(f"{exc}; run audit_verify, then --accept-broken-legacy-chain if you must") from None
            total += result.sealed
            if result.checkpoint is not None:
                checkpoints += 1
                self.stdout.write(
                    f"checkpoint tree_size={result.checkpoint.tree_size} root={result.checkpoint.root_hash}"
                )
            if not result.more:
                break
        self.stdout.write(f"sealed {total} events in {checkpoints} checkpoints")
