from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.enrolment import EnrolmentLinkRefused, Purpose, enrolment_link_issue
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Issue a one-time link where an account's owner sets their password, and print its "
        "path once (prefix it with the dashboard's address). Only its digest is stored; the "
        "issue is audited with no actor. Any earlier live link of the account stops working."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", help="the account's username")
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "a password reset: the current password stops working at once and the "
                "account's sessions end (default: enrolment of an account never set up)"
            ),
        )

    def handle(self, *args: Any, username: str, reset: bool, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        purpose = Purpose.RESET if reset else Purpose.ENROL
        try:
            token = enrolment_link_issue(user=user, actor=None, purpose=purpose)
        except EnrolmentLinkRefused as exc:
            raise CommandError(f"No link issued: {exc}") from exc
        self.stderr.write(
            f"Issued a {purpose.label.lower()} link for {username!r}, valid for "
            f"{settings.ENROLMENT_LINK_HOURS} hours and one use. It is shown only this once: "
            "deliver it to the account's owner alone, out of band."
        )
        self.stdout.write(reverse("accounts:enrol", args=[token]))
