from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import log


class Command(BaseCommand):
    help = "Print the audit log's verifier key (C2SP vkey) to hand to auditors and witnesses."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(log.verifier_key())
