from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print where the dashboard runs and the demo logins (demo mode only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        lines = ["", "=" * 64, f"  Trust & Safety dashboard: {url}"]
        if settings.DEMO_MODE:
            lines.append(f"  Demo password for every account: {settings.DEMO_PASSWORD}")
            for username, _first, _last, roles in DEMO_USERS:
                lines.append(f"    {username:<12} {', '.join(r.value for r in roles)}")
            lines += [
                "  legal*, approver*, auditor and admin also need a second factor: add the key",
                f"    {settings.DEMO_TOTP_SECRET}",
                "  to an authenticator app, or get the current code with `make code`.",
            ]
        lines += ["  Ctrl-C stops the web server, the Celery worker and beat.", "=" * 64, ""]
        self.stdout.write("\n".join(lines))
