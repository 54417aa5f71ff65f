from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.selectors.statements import (
    PAGE_SIZE,
    statements_batches,
    statements_standing,
    statements_withdrawn_since,
)


def _aware(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since {value!r} is not an ISO 8601 date-time.") from None
    if parsed.tzinfo is None:
        raise CommandError(f"--since {value!r} needs a time zone, e.g. {value}+00:00.")
    return parsed


class Command(BaseCommand):
    help = (
        "Export statements of reasons in the DSA Transparency Database's shape, in batches "
        f'of at most {PAGE_SIZE} as {{"statements": [...], "standing": {{...}}}}: one file per '
        "batch in --output, or one JSON line per batch on standard output. `standing` says, "
        "by PUID, whether each statement still stands or an appeal reversed or replaced it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since", help="only statements created at or after this ISO 8601 date-time"
        )
        parser.add_argument("--output", help="directory for the batch files (created if needed)")

    def handle(self, *args: Any, since: str | None, output: str | None, **options: Any) -> None:
        since_at = _aware(since) if since else None
        directory = Path(output) if output else None
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CommandError(f"Cannot write to {directory}: {exc}") from exc
        files = statements = 0
        for batch in statements_batches(since=since_at):
            files += 1
            statements += len(batch)
            document = {
                "statements": [s.payload for s in batch],
                "standing": statements_standing(batch),
            }
            if directory is None:
                self.stdout.write(json.dumps(document, ensure_ascii=False, sort_keys=True))
            else:
                path = directory / f"statements-{files:05d}.json"
                path.write_text(
                    json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True),
                    encoding="utf-8",
                )
        if since_at is not None:
            # Earlier statements an appeal took out of force since then (see the API's
            # `withdrawn`): one more JSON line, or withdrawn.json.
            withdrawn, truncated = statements_withdrawn_since(since=since_at)
            summary: dict[str, Any] = {"withdrawn": withdrawn, "withdrawn_truncated": truncated}
            if directory is None:
                self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
            else:
                (directory / "withdrawn.json").write_text(
                    json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True),
                    encoding="utf-8",
                )
        where = f" in {files} file(s) under {directory}" if directory else ""
        # The summary goes to stderr so that standard output stays pure JSON lines.
        self.stderr.write(f"Exported {statements} statement(s){where}.")
