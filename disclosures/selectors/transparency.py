"""
The quarterly transparency report, per issuing country (the authority's country), computed
from the request records with aggregate queries, so every figure can be recomputed and
checked against the trail.

A request counts in the quarter in which it was received; its outcome (fulfilled, partly
fulfilled, rejected, withdrawn) and its times to acknowledge and to give effect are counted
with it, whenever they happened. Users affected are the distinct accounts whose data was
released: each has exactly one user-notice record per request, sent or deferred.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from disclosures.models import LegalRequest, RequestTarget, UserNotice

CATEGORIES = ("ip_addresses", "phone_number")
INSTRUMENTS = tuple(LegalRequest.Instrument.values)
COUNTRY = "authority__country"
ALL = "ALL"


class InvalidPeriod(ValueError):
    pass


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar quarter in UTC."""
    if quarter not in (1, 2, 3, 4):
        raise InvalidPeriod(f"quarter must be 1 to 4, not {quarter}")
    if not 2000 <= year <= 9998:
        raise InvalidPeriod(f"year {year} is out of range")
    start = datetime(year, 3 * (quarter - 1) + 1, 1, tzinfo=UTC)
    end = datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=UTC)
    return start, end


@dataclass
class CountryRow:
    country: str
    received: int = 0
    fulfilled: int = 0
    partly_fulfilled: int = 0
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


@dataclass(frozen=True)
class TransparencyReport:
    year: int
    quarter: int
    start: datetime
    end: datetime
    rows: list[CountryRow]
    total: CountryRow

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "quarter": self.quarter,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "countries": [asdict(r) for r in self.rows],
            "total": asdict(self.total),
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for row in [*self.rows, self.total]:
            writer.writerow(_csv_row(row))
        return out.getvalue()


SCALAR_COLUMNS = (
    "received",
    "fulfilled",
    "partly_fulfilled",
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


def _csv_row(row: CountryRow) -> list[str | int]:
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


def _median_hours(deltas: list[float]) -> float | None:
    return round(statistics.median(deltas) / 3600, 2) if deltas else None


def _counts(requests: QuerySet[LegalRequest]) -> dict[str, dict[str, Any]]:
    Outcome, Status = LegalRequest.Outcome, LegalRequest.Status
    rows = (
        requests.values(COUNTRY)
        .annotate(
            received=Count("pk"),
            fulfilled=Count("pk", filter=Q(outcome=Outcome.FULFILLED)),
            partly_fulfilled=Count("pk", filter=Q(outcome=Outcome.PARTLY)),
            rejected=Count("pk", filter=Q(outcome=Outcome.REJECTED) | Q(status=Status.REJECTED)),
            withdrawn=Count("pk", filter=Q(outcome=Outcome.WITHDRAWN) | Q(status=Status.WITHDRAWN)),
            emergencies=Count("pk", filter=Q(emergency=True)),
            nondisclosure_orders=Count(
                "pk", filter=~Q(nondisclosure=LegalRequest.NonDisclosure.NONE)
            ),
            # The categories are a JSON list; matching the quoted code works on every backend.
            **{
                f"category_{c}": Count("pk", filter=Q(data_requested__icontains=f'"{c}"'))
                for c in CATEGORIES
            },
        )
        .order_by(COUNTRY)
    )
    return {row.pop(COUNTRY): row for row in rows}


def transparency_report(*, year: int, quarter: int) -> TransparencyReport:
    """The report for one quarter: one row per issuing country, and a total row."""
    start, end = quarter_bounds(year, quarter)
    requests = LegalRequest.objects.filter(received_at__gte=start, received_at__lt=end)

    counts = _counts(requests)
    targets = dict(
        RequestTarget.objects.filter(request__in=requests)
        .values(f"request__{COUNTRY}")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(f"request__{COUNTRY}", "n")
    )
    notices = UserNotice.objects.filter(request__in=requests)
    affected = dict(
        notices.values(f"request__{COUNTRY}")
        .annotate(n=Count("account", distinct=True))
        .order_by()
        .values_list(f"request__{COUNTRY}", "n")
    )
    affected_total = notices.aggregate(n=Count("account", distinct=True))["n"]
    instruments = (
        requests.values(COUNTRY, "instrument")
        .annotate(n=Count("pk"))
        .order_by(COUNTRY, "instrument")
        .values_list(COUNTRY, "instrument", "n")
    )
    times = requests.filter(
        Q(acknowledged_at__isnull=False) | Q(effect_given_at__isnull=False)
    ).values_list(COUNTRY, "received_at", "acknowledged_at", "effect_given_at")

    rows: dict[str, CountryRow] = {}
    total = CountryRow(country=ALL)
    for country, values in counts.items():
        row = rows[country] = CountryRow(country=country)
        for name in SCALAR_COLUMNS:
            if name in values:
                setattr(row, name, values[name])
                setattr(total, name, getattr(total, name) + values[name])
        for c in CATEGORIES:
            row.by_category[c] = values[f"category_{c}"]
            total.by_category[c] += values[f"category_{c}"]
        row.accounts_requested = targets.get(country, 0)
        row.users_affected = affected.get(country, 0)
        total.accounts_requested += row.accounts_requested
    total.users_affected = affected_total
    for country, instrument, n in instruments:
        rows[country].by_instrument[instrument] = n
        total.by_instrument[instrument] += n

    ack: dict[str, list[float]] = {}
    effect: dict[str, list[float]] = {}
    for country, received, acknowledged, given in times:
        if acknowledged:
            ack.setdefault(country, []).append((acknowledged - received).total_seconds())
        if given:
            effect.setdefault(country, []).append((given - received).total_seconds())
    # Medians are order statistics, which neither SQLite nor Django's ORM aggregates
    # portably: the few durations of a quarter are read once and ranked here.
    for country, row in rows.items():
        row.median_hours_to_acknowledge = _median_hours(ack.get(country, []))
        row.median_hours_to_give_effect = _median_hours(effect.get(country, []))
    total.median_hours_to_acknowledge = _median_hours([d for v in ack.values() for d in v])
    total.median_hours_to_give_effect = _median_hours([d for v in effect.values() for d in v])

    return TransparencyReport(
        year=year, quarter=quarter, start=start, end=end, rows=list(rows.values()), total=total
    )
