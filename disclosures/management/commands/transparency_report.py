"""
`python manage.py transparency_report --year 2026 --quarter 3 --format csv [--table authorities]`
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disclosures.selectors.transparency import TABLES, InvalidPeriod, transparency_report


class Command(BaseCommand):
    help = (
        "Print the quarterly transparency report: one table as CSV (per issuing country by "
        "default, or per authority, per offence category, preservation orders), or the whole "
        "report as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, help="Calendar year, e.g. 2026.")
        parser.add_argument("--quarter", required=True, help="Quarter, 1 to 4.")
        parser.add_argument("--format", default="csv", help="csv (default) or json.")
        parser.add_argument(
            "--table",
            default="countries",
            help=f"The CSV table: {', '.join(TABLES)} (default countries). JSON has them all.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year, quarter = int(options["year"]), int(options["quarter"])
        except (TypeError, ValueError) as exc:
            raise CommandError("--year and --quarter must be whole numbers.") from exc
        output, table = options["format"], options["table"]
        if output not in ("csv", "json"):
            raise CommandError("--format must be csv or json.")
        if table not in TABLES:
            raise CommandError(f"--table must be one of {', '.join(TABLES)}.")
        try:
            report = transparency_report(year=year, quarter=quarter)
        except InvalidPeriod as exc:
            raise CommandError(str(exc)) from exc
        if output == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        else:
            self.stdout.write(report.as_csv(table), ending="")
