"""
Compute the moderation transparency report for a period and write it as files.

    manage.py moderation_transparency_report --from 2026-01-01 --to 2026-06-30
        --format csv --output DIR

Reads only (no draft is stored: use the page to generate and publish). CSV writes one file per
sheet; JSON writes one file. Defaults to the last finished half-year.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from moderation import transparency


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Write the moderation transparency report (DSA harmonised template) for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (UTC)")
        parser.add_argument("--to", dest="end", help="last day, included, YYYY-MM-DD (UTC)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", required=True, help="directory to write into")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.now().date()
        default = transparency.half_year_of(
            transparency.half_year_of(today).start - timedelta(days=1)
        )
        start = _day(options["start"]) if options["start"] else default.start
        end = _day(options["end"]) if options["end"] else default.end
        try:
            period = transparency.period_checked(start, end, today=today)
        except transparency.PeriodError as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["output"])
        out.mkdir(parents=True, exist_ok=True)
        figures = transparency.compute(period)
        stem = f"moderation-transparency-{period.start}-{period.end}"
        if options["format"] == "json":
            paths = [out / f"{stem}.json"]
            paths[0].write_text(transparency.render_json(figures), encoding="utf-8")
        else:
            paths = []
            for sheet in transparency.SHEETS:
                path = out / f"{stem}-{sheet}.csv"
                path.write_bytes(transparency.render_csv(figures, sheet).encode("utf-8"))
                paths.append(path)
        for path in paths:
            self.stdout.write(str(path))
