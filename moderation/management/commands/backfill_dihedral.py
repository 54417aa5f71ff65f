from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.services.media import media_dihedral_backfill


class Command(BaseCommand):
    help = (
        "Compute the PDQ hashes of the 8 rotations and flips (Media.pdq_dihedral) for images "
        "stored before intake computed them, so rotated or mirrored copies match the banks. "
        "Safe to run again: it only fills rows that have none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=200, help="rows read per query")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        done = media_dihedral_backfill(batch=options["batch"])
        self.stdout.write(f"{done} media item(s) got their dihedral PDQ hashes.")
