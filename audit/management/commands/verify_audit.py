from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import log
from audit.checkpoint import CheckpointError, parse_verifier_key

UNPINNED = (
    "Note: the checkpoints were checked with this server's own verifier key (from its "
    "settings), which is NOT authenticated: whoever could rewrite the audit tables and the "
    "settings could have re-signed them with a key of their own. Pass --public-key with the "
    "key obtained out of band (the public key page /keys/, or a copy kept by the auditor)."
)


class Command(BaseCommand):
    help = (
        "Verify the live audit log; exit 0 when intact, non-zero naming what was tampered. "
        "Give --public-key to check the checkpoints against a key obtained out of band."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--public-key",
            metavar="VKEY",
            help="the log's verifier key as published (audit_public_key, the /keys/ page)",
        )

    def handle(self, *args: Any, public_key: str | None = None, **options: Any) -> None:
        if public_key is not None:
            try:
                parse_verifier_key(public_key)
            except CheckpointError as exc:
                raise CommandError(f"--public-key is not a verifier key: {exc}") from exc
        result = log.verify_live(expected_key=public_key)
        if not result.key_pinned:
            self.stdout.write(self.style.WARNING(UNPINNED))
        if not result.ok:
            raise CommandError(f"Audit log NOT intact: {result.message}")
        trust = "with the expected key" if result.key_pinned else "key NOT authenticated"
        self.stdout.write(self.style.SUCCESS(f"Audit log {result.message} ({trust})."))
