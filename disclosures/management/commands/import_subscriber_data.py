"""python manage.py import_subscriber_data FILE.csv: all rows or none."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disclosures.services.subscriber_data import (
    RowError,
    SubscriberDataInvalid,
    SubscriberRow,
    subscriber_data_ingest,
    subscriber_rows_check,
)

COLUMNS = ("account_id", "phone", "ip", "port", "seen_at")


def _rows(path: Path) -> tuple[list[SubscriberRow], list[RowError]]:
    """The file's rows, each numbered with the line it starts on (the header is line 1)."""
    rows: list[SubscriberRow] = []
    errors: list[RowError] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header = [name.strip() for name in next(reader, [])]
        if sorted(header) != sorted(COLUMNS):
            raise CommandError(
                f"line 1: the header must be {','.join(COLUMNS)} (found {','.join(header)})."
            )
        while True:
            start = reader.line_num + 1  # a quoted value may run over several lines
            values = next(reader, None)
            if values is None:
                break
            if not values:  # a blank line
                continue
            if len(values) != len(header):
                errors.append(RowError(start, "", f"Expected {len(COLUMNS)} columns."))
                continue
            record = dict(zip(header, values, strict=True))
            rows.append(
                SubscriberRow(
                    account_id=record["account_id"],
                    phone=record["phone"],
                    ip=record["ip"],
                    port=record["port"],
                    seen_at=record["seen_at"],
                    number=start,
                )
            )
    return rows, errors


class Command(BaseCommand):
    help = (
        "Import subscriber data from a CSV file with the header "
        f"{','.join(COLUMNS)}: phone numbers in international format (stored as E.164), "
        "IP records (v4 or v6, optional port, seen_at in ISO 8601 with a time zone). "
        "All or nothing: any bad line is reported as 'line N: field: reason' and nothing "
        "is imported. Importing the same file again changes nothing."
    )

    def _refuse(self, errors: list[RowError]) -> NoReturn:
        for error in sorted(errors, key=lambda e: (e.number, e.field)):
            field = f"{error.field}: " if error.field else ""
            self.stderr.write(f"line {error.number}: {field}{error.message}")
        lines = len({e.number for e in errors})
        raise CommandError(f"{lines} bad line(s); nothing was imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8)")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file)
        try:
            rows, errors = _rows(path)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc.reason}).") from exc
        except csv.Error as exc:
            raise CommandError(f"{path} is not valid CSV: {exc}") from exc
        if errors:
            # Check the well-formed lines too, so one run lists everything to fix.
            self._refuse(errors + subscriber_rows_check(rows=rows)[1])
        if not rows:
            raise CommandError(f"{path} has no data rows; nothing was imported.")
        try:
            summary = subscriber_data_ingest(rows=rows, source=f"csv:{path.name}")
        except SubscriberDataInvalid as exc:
            self._refuse(exc.errors)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {summary.rows} row(s): "
                f"{summary.accounts_created} new account(s), "
                f"{summary.phones_created} phone number(s) added, "
                f"{summary.phones_updated} replaced, {summary.phones_unchanged} unchanged; "
                f"{summary.ip_records_created} IP record(s) added, "
                f"{summary.ip_records_duplicate} already known."
            )
        )
