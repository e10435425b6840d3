import base64
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.audit import signing


class Command(BaseCommand):
    help = "Print the audit checkpoints' verification key (base64 raw Ed25519 and PEM), or --generate a new seed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--generate", action="store_true", help="print a new random AUDIT_SIGNING_KEY value instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            self.stdout.write(signing.generate_seed_b64())
            return
        if signing.signing_key_is_throwaway():
            self.stderr.write("warning: AUDIT_SIGNING_KEY is not set; this is the public throwaway key")
        from cryptography.hazmat.primitives import serialization

        public = signing.signing_key().public_key()
        self.stdout.write(f"key_id: {signing.current_key_id()}")
        self.stdout.write(f"ed25519: {base64.b64encode(signing.public_key_bytes(public)).decode()}")
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.stdout.write(pem.decode().rstrip())
