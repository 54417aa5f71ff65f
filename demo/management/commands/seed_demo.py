from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import demo as account_demo
from disclosures import demo as disclosures_demo
from moderation import demo as moderation_demo
from search_policy import demo as search_policy_demo
from signals import demo as signals_demo


class Command(BaseCommand):
    help = "Fill the database with deterministic demo data. Idempotent; demo mode only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "Demo data is only created in demo mode (DEMO_MODE=1); "
                "it would add accounts with a shared, published password."
            )
        users = account_demo.seed_users()
        reports = moderation_demo.seed_moderation()
        requests = disclosures_demo.seed_disclosures()
        matches = signals_demo.seed_signals()
        tools = signals_demo.demo_summary()
        search = search_policy_demo.seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {users} user(s), {reports} report(s) and "
                f"{requests} legal request(s) created; {matches} hash-bank match(es) found; "
                f"{tools}; search policy: {search['terms']} term(s), "
                f"{search['entities']} delisting(s), {search['tagged']} report(s) tagged."
            )
        )
