"""
The quarterly transparency report, per issuing country (the authority's country), per
authority and per offence category (the DSA asks for the type of illegal content), computed
from the request records with aggregate queries, so every figure can be recomputed and
checked against the trail.

A request counts in the quarter in which it was received; its outcome (fulfilled, partly
fulfilled, no records found, rejected, withdrawn) and its times to acknowledge and to give
effect are counted with it, whenever they happened. Users affected are the distinct accounts
whose data was released: each has exactly one user-notice record per request, sent or
deferred.

Preservation orders (EPOC-PR, US §2703(f)) keep records and never produce any: they are
counted apart from the production requests, in their own section (orders received, holds
placed, accounts held, holds extended and released), and never as fulfilled.
"""

from disclosures.selectors.transparency.queries import (
    InvalidPeriod,
    quarter_bounds,
    transparency_report,
)
from disclosures.selectors.transparency.tables import (
    ALL,
    AUTHORITY_CSV_COLUMNS,
    CATEGORIES,
    CATEGORY_CSV_COLUMNS,
    CSV_COLUMNS,
    INSTRUMENTS,
    PRESERVATION_CSV_COLUMNS,
    PRESERVATION_INSTRUMENTS,
    TABLES,
    AuthorityRow,
    CategoryRow,
    CountryRow,
    PreservationRow,
    Tally,
    TransparencyReport,
    UnknownTable,
)

__all__ = [
    "ALL",
    "AUTHORITY_CSV_COLUMNS",
    "CATEGORIES",
    "CATEGORY_CSV_COLUMNS",
    "CSV_COLUMNS",
    "INSTRUMENTS",
    "PRESERVATION_CSV_COLUMNS",
    "PRESERVATION_INSTRUMENTS",
    "TABLES",
    "AuthorityRow",
    "CategoryRow",
    "CountryRow",
    "InvalidPeriod",
    "PreservationRow",
    "Tally",
    "TransparencyReport",
    "UnknownTable",
    "quarter_bounds",
    "transparency_report",
]
