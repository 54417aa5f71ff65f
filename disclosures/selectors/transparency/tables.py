"""
The shape of the transparency report (its rows, per country, authority, offence category and
preservation orders) and its output as JSON and as one CSV table at a time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from disclosures.models import LegalRequest

CATEGORIES = ("ip_addresses", "phone_number")
PRESERVATION_INSTRUMENTS = tuple(
    i for i in LegalRequest.Instrument.values if i in LegalRequest.PRESERVATION_INSTRUMENTS
)
# The production instruments: the ones whose requests can be fulfilled.
INSTRUMENTS = tuple(
    i for i in LegalRequest.Instrument.values if i not in LegalRequest.PRESERVATION_INSTRUMENTS
)
ALL = "ALL"
TABLES = ("countries", "authorities", "categories", "preservation")


class UnknownTable(ValueError):
    pass


@dataclass
class CountryRow:
    """Production requests from one issuing country (preservation orders are apart)."""

    country: str
    received: int = 0
    fulfilled: int = 0
    partly_fulfilled: int = 0
    no_records: int = 0
    rejected: int = 0
    withdrawn: int = 0
    accounts_requested: int = 0
    users_affected: int = 0
    emergencies: int = 0
    nondisclosure_orders: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    by_instrument: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INSTRUMENTS, 0))
    median_hours_to_acknowledge: float | None = None
    median_hours_to_give_effect: float | None = None

    @property
    def disclosed(self) -> int:
        return self.fulfilled + self.partly_fulfilled


@dataclass(kw_only=True)
class Tally:
    """The production figures of one authority or offence category, and its preservations."""

    received: int = 0
    fulfilled: int = 0
    partly_fulfilled: int = 0
    no_records: int = 0
    rejected: int = 0
    withdrawn: int = 0
    accounts_requested: int = 0
    users_affected: int = 0
    preservation_orders: int = 0


TALLY_COLUMNS = tuple(f.name for f in Tally.__dataclass_fields__.values())


@dataclass(kw_only=True)
class AuthorityRow(Tally):
    authority_id: int | None
    authority: str
    country: str


@dataclass(kw_only=True)
class CategoryRow(Tally):
    """`code` is the moderation category's code, `dsa_category` its DSA statement category."""

    code: str
    name: str
    dsa_category: str


@dataclass
class PreservationRow:
    """Preservation orders from one issuing country, and the holds they placed."""

    country: str
    received: int = 0
    rejected: int = 0
    withdrawn: int = 0
    holds_placed: int = 0
    accounts_held: int = 0
    holds_extended: int = 0
    holds_released: int = 0
    by_instrument: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(PRESERVATION_INSTRUMENTS, 0)
    )


PRESERVATION_COLUMNS = (
    "received",
    "rejected",
    "withdrawn",
    "holds_placed",
    "accounts_held",
    "holds_extended",
    "holds_released",
)


@dataclass(frozen=True)
class TransparencyReport:
    year: int
    quarter: int
    start: datetime
    end: datetime
    rows: list[CountryRow]
    total: CountryRow
    authorities: list[AuthorityRow] = field(default_factory=list)
    categories: list[CategoryRow] = field(default_factory=list)
    breakdown_total: Tally = field(default_factory=Tally)
    preservation: list[PreservationRow] = field(default_factory=list)
    preservation_total: PreservationRow = field(default_factory=lambda: PreservationRow(ALL))

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "quarter": self.quarter,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "countries": [asdict(r) for r in self.rows],
            "total": asdict(self.total),
            "authorities": [asdict(r) for r in self.authorities],
            "categories": [asdict(r) for r in self.categories],
            "preservation": {
                "countries": [asdict(r) for r in self.preservation],
                "total": asdict(self.preservation_total),
            },
        }

    def as_csv(self, table: str = "countries") -> str:
        """One table of the report (RFC 4180, CRLF line ends), its total row last."""
        if table == "countries":
            header, rows = CSV_COLUMNS, [_country_cells(r) for r in [*self.rows, self.total]]
        elif table == "authorities":
            header = AUTHORITY_CSV_COLUMNS
            rows = [
                [
                    "" if r.authority_id is None else r.authority_id,
                    _text(r.authority),
                    r.country,
                    *_tally(r),
                ]
                for r in self.authorities
            ]
            rows.append(["", ALL, "", *_tally(self.breakdown_total)])
        elif table == "categories":
            header = CATEGORY_CSV_COLUMNS
            rows = [[r.code, _text(r.name), r.dsa_category, *_tally(r)] for r in self.categories]
            rows.append([ALL, "", "", *_tally(self.breakdown_total)])
        elif table == "preservation":
            header = PRESERVATION_CSV_COLUMNS
            rows = [_preservation_cells(r) for r in [*self.preservation, self.preservation_total]]
        else:
            raise UnknownTable(f"table must be one of {', '.join(TABLES)}, not {table!r}")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()


SCALAR_COLUMNS = (
    "received",
    "fulfilled",
    "partly_fulfilled",
    "no_records",
    "rejected",
    "withdrawn",
    "accounts_requested",
    "users_affected",
    "emergencies",
    "nondisclosure_orders",
)
CSV_COLUMNS = (
    "country",
    *SCALAR_COLUMNS,
    *(f"category_{c}" for c in CATEGORIES),
    *(f"instrument_{i}" for i in INSTRUMENTS),
    "median_hours_to_acknowledge",
    "median_hours_to_give_effect",
)
AUTHORITY_CSV_COLUMNS = ("authority_id", "authority", "country", *TALLY_COLUMNS)
CATEGORY_CSV_COLUMNS = ("category", "category_name", "dsa_category", *TALLY_COLUMNS)
PRESERVATION_CSV_COLUMNS = (
    "country",
    *PRESERVATION_COLUMNS,
    *(f"instrument_{i}" for i in PRESERVATION_INSTRUMENTS),
)


def _text(value: str) -> str:
    """A name as a CSV cell that no spreadsheet runs as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _tally(row: Tally) -> list[int]:
    return [getattr(row, name) for name in TALLY_COLUMNS]


def _country_cells(row: CountryRow) -> list[str | int]:
    def hours(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    return [
        row.country,
        *(getattr(row, name) for name in SCALAR_COLUMNS),
        *(row.by_category[c] for c in CATEGORIES),
        *(row.by_instrument[i] for i in INSTRUMENTS),
        hours(row.median_hours_to_acknowledge),
        hours(row.median_hours_to_give_effect),
    ]


def _preservation_cells(row: PreservationRow) -> list[str | int]:
    return [
        row.country,
        *(getattr(row, name) for name in PRESERVATION_COLUMNS),
        *(row.by_instrument[i] for i in PRESERVATION_INSTRUMENTS),
    ]
