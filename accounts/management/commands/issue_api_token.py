from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.token_services import InvalidApiToken, api_token_issue
from accounts.tokens import DEFAULT_SCOPES, SCOPES


class Command(BaseCommand):
    help = (
        "Issue a service token for the platform-facing API and print it once. "
        "Only its digest is stored: a lost token is revoked (admin) and issued anew."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="unique name of the calling system, e.g. platform-prod")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help=(
                f"grant this scope (repeatable; one of {', '.join(sorted(SCOPES))}); "
                f"default: {', '.join(DEFAULT_SCOPES)}"
            ),
        )

    def handle(self, *args: Any, name: str, scopes: list[str] | None, **options: Any) -> None:
        try:
            token, secret = api_token_issue(name=name, scopes=scopes or list(DEFAULT_SCOPES))
        except InvalidApiToken as exc:
            raise CommandError(f"No token issued: {exc}.") from exc
        self.stderr.write(
            f"Issued API token {token.name!r} (prefix {token.prefix}, "
            f"scopes: {', '.join(token.scopes)}). It is shown only this once; "
            "send it as 'Authorization: Bearer <token>'."
        )
        self.stdout.write(secret)
