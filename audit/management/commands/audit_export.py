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
