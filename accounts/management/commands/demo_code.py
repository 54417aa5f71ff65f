from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import demo_code


class Command(BaseCommand):
    help = (
        "Print the code the demo accounts' authenticator shows now (demo mode only), for "
        "signing in as legal, approver, auditor or admin without an authenticator app."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("There is no demo authenticator outside demo mode (DEMO_MODE=1).")
        self.stdout.write(demo_code())
