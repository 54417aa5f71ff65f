from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from audit import log


class Command(BaseCommand):
    help = (
        "Export the sealed log (events with their canonical bytes, signed checkpoints, the "
        "public key) for the standalone verifier: python -m audit.verify DIR"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        count = log.export(directory)
        self.stdout.write(f"Exported {count} event(s) to {directory}.")
        # The export carries its own key, which proves nothing to whoever receives it.
        self.stdout.write(
            f"Verify with: python -m audit.verify {directory} --public-key "
            f"'{log.verifier_key()}' (the recipient should take the key from the public key "
            "page /keys/ or another channel, not from the export)."
        )
