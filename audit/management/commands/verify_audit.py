from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import log


class Command(BaseCommand):
    help = "Verify the live audit log; exit 0 when intact, non-zero naming what was tampered."

    def handle(self, *args: Any, **options: Any) -> None:
        result = log.verify_live()
        if not result.ok:
            raise CommandError(f"Audit log NOT intact: {result.message}")
        self.stdout.write(self.style.SUCCESS(f"Audit log {result.message}."))
