from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import log


class Command(BaseCommand):
    help = "Seal committed events into the Merkle log and sign a checkpoint."

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = 0
        while (result := log.seal()).sealed:
            sealed += result.sealed
        checkpoint = log.checkpoint_create()
        size = checkpoint.tree_size if checkpoint else 0
        self.stdout.write(f"Sealed {sealed} event(s); latest checkpoint covers {size}.")
