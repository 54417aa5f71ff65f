"""
The figures of the transparency report, read with aggregate queries: a fixed number of them
whatever the number of countries, authorities and categories in the quarter.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from disclosures.models import LegalRequest, RequestTarget, UserNotice
from disclosures.selectors.transparency.tables import (
    ALL,
    CATEGORIES,
    PRESERVATION_COLUMNS,
    PRESERVATION_INSTRUMENTS,
    SCALAR_COLUMNS,
    TALLY_COLUMNS,
    AuthorityRow,
    CategoryRow,
    CountryRow,
    PreservationRow,
    Tally,
    TransparencyReport,
)
from moderation.models import Category

COUNTRY = "authority__country"
Outcome, Status = LegalRequest.Outcome, LegalRequest.Status
PRESERVATION = Q(instrument__in=PRESERVATION_INSTRUMENTS)
PRODUCTION = ~PRESERVATION
REJECTED = Q(outcome=Outcome.REJECTED) | Q(status=Status.REJECTED)
WITHDRAWN = Q(outcome=Outcome.WITHDRAWN) | Q(status=Status.WITHDRAWN)
OUTCOMES = {
    "fulfilled": Q(outcome=Outcome.FULFILLED),
    "partly_fulfilled": Q(outcome=Outcome.PARTLY),
    "no_records": Q(outcome=Outcome.NO_RECORDS),
    "rejected": REJECTED,
    "withdrawn": WITHDRAWN,
}


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


def _median_hours(deltas: list[float]) -> float | None:
    return round(statistics.median(deltas) / 3600, 2) if deltas else None


# --- Per country ------------------------------------------------------------------------------


def _counts(requests: QuerySet[LegalRequest]) -> dict[str, dict[str, Any]]:
    rows = (
        requests.values(COUNTRY)
        .annotate(
            received=Count("pk"),
            **{name: Count("pk", filter=condition) for name, condition in OUTCOMES.items()},
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


def _per_country(production: QuerySet[LegalRequest]) -> tuple[list[CountryRow], CountryRow]:
    counts = _counts(production)
    targets = dict(
        RequestTarget.objects.filter(request__in=production)
        .values(f"request__{COUNTRY}")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(f"request__{COUNTRY}", "n")
    )
    notices = UserNotice.objects.filter(request__in=production)
    affected = dict(
        notices.values(f"request__{COUNTRY}")
        .annotate(n=Count("account", distinct=True))
        .order_by()
        .values_list(f"request__{COUNTRY}", "n")
    )
    affected_total = notices.aggregate(n=Count("account", distinct=True))["n"]
    instruments = (
        production.values(COUNTRY, "instrument")
        .annotate(n=Count("pk"))
        .order_by(COUNTRY, "instrument")
        .values_list(COUNTRY, "instrument", "n")
    )
    times = production.filter(
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
    return list(rows.values()), total


# --- Per authority and per offence category -----------------------------------------------------


def _tallies(requests: QuerySet[LegalRequest], keys: Sequence[str]) -> Iterable[dict[str, Any]]:
    """
    One aggregate row per group of `keys`, whatever the number of groups. Targets and
    notices are joined in, so every count is of distinct rows.
    """
    return (
        requests.values(*keys)
        .annotate(
            received=Count("pk", distinct=True, filter=PRODUCTION),
            **{
                name: Count("pk", distinct=True, filter=PRODUCTION & condition)
                for name, condition in OUTCOMES.items()
            },
            accounts_requested=Count("targets", distinct=True, filter=PRODUCTION),
            users_affected=Count("notices__account", distinct=True, filter=PRODUCTION),
            preservation_orders=Count("pk", distinct=True, filter=PRESERVATION),
        )
        .order_by(*keys)
    )


def _per_authority(requests: QuerySet[LegalRequest]) -> list[AuthorityRow]:
    keys = (COUNTRY, "authority__name", "authority_id")
    return [
        AuthorityRow(
            authority_id=values.pop("authority_id"),
            authority=values.pop("authority__name"),
            country=values.pop(COUNTRY),
            **values,
        )
        for values in _tallies(requests, keys)
    ]


def _per_category(requests: QuerySet[LegalRequest]) -> list[CategoryRow]:
    # Every category (an administrator's short list) in one query, whatever the report holds.
    known = {
        code: (name, dsa)
        for code, name, dsa in Category.objects.values_list(
            "code", "name", "dsa_category"
        ).order_by("code")
    }
    rows = []
    for values in _tallies(requests, ("offence_category",)):
        code = values.pop("offence_category")
        name, dsa_category = known.get(code, ("", ""))
        rows.append(CategoryRow(code=code, name=name, dsa_category=dsa_category, **values))
    return rows


def _breakdown_total(rows: Iterable[Tally], users_affected: int) -> Tally:
    """Sums, except users affected: a user in two groups' requests is one user."""
    total = Tally()
    for row in rows:
        for name in TALLY_COLUMNS:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    total.users_affected = users_affected
    return total


# --- Preservation orders ------------------------------------------------------------------------


def _per_country_preservation(
    preservation: QuerySet[LegalRequest],
) -> tuple[list[PreservationRow], PreservationRow]:
    holds = {
        "holds_placed": Count("holds", distinct=True),
        "accounts_held": Count("holds__account", distinct=True),
        "holds_extended": Count("holds", distinct=True, filter=Q(holds__extensions__gt=0)),
        "holds_released": Count("holds", distinct=True, filter=Q(holds__released_at__isnull=False)),
    }
    grouped = (
        preservation.values(COUNTRY)
        .annotate(
            received=Count("pk", distinct=True),
            rejected=Count("pk", distinct=True, filter=REJECTED),
            withdrawn=Count("pk", distinct=True, filter=WITHDRAWN),
            **holds,
            **{
                f"instrument_{i}": Count("pk", distinct=True, filter=Q(instrument=i))
                for i in PRESERVATION_INSTRUMENTS
            },
        )
        .order_by(COUNTRY)
    )
    rows = []
    total = PreservationRow(country=ALL)
    for values in grouped:
        row = PreservationRow(country=values[COUNTRY])
        for name in PRESERVATION_COLUMNS:
            setattr(row, name, values[name])
            setattr(total, name, getattr(total, name) + values[name])
        for i in PRESERVATION_INSTRUMENTS:
            row.by_instrument[i] = values[f"instrument_{i}"]
            total.by_instrument[i] += values[f"instrument_{i}"]
        rows.append(row)
    # An account held for two countries' orders is one account held.
    total.accounts_held = preservation.aggregate(n=Count("holds__account", distinct=True))["n"]
    return rows, total


# --- The report -------------------------------------------------------------------------------


def transparency_report(*, year: int, quarter: int) -> TransparencyReport:
    """
    The report for one quarter: per issuing country with a total row, per authority, per
    offence category, and the preservation orders apart; a fixed number of queries.
    """
    start, end = quarter_bounds(year, quarter)
    requests = LegalRequest.objects.filter(received_at__gte=start, received_at__lt=end)
    rows, total = _per_country(requests.filter(PRODUCTION))
    authorities = _per_authority(requests)
    preservation, preservation_total = _per_country_preservation(requests.filter(PRESERVATION))
    return TransparencyReport(
        year=year,
        quarter=quarter,
        start=start,
        end=end,
        rows=rows,
        total=total,
        authorities=authorities,
        categories=_per_category(requests),
        breakdown_total=_breakdown_total(authorities, total.users_affected),
        preservation=preservation,
        preservation_total=preservation_total,
    )
