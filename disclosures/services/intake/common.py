"""Shared pieces of request intake: limits, input and intermediate types, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from django.utils.translation import gettext_lazy

from disclosures.exceptions import DisclosureError
from disclosures.models import (
    LegalRequest,
    RequestTarget,
)
from moderation.models import Case

MAX_DATE_RANGE = timedelta(days=731)  # two years, one of which may be a leap year
MAX_TARGETS = 50
MAX_TEXT = 20_000

# Declared content type -> (leading bytes of such a file, stored extension).
DOCUMENT_TYPES = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
DOCUMENTS_SUBDIR = "documents"

# EPOC/EPOC-PR issued by police or an administrative authority must be validated by a
# judge, court or prosecutor (Reg. 2023/1543 Art. 4(1)): the validating file number is due.
NEEDS_VALIDATION = {
    (instrument, issuer)
    for instrument in (LegalRequest.Instrument.EPOC, LegalRequest.Instrument.EPOC_PR)
    for issuer in (LegalRequest.IssuerType.POLICE, LegalRequest.IssuerType.ADMINISTRATIVE)
}
FILE_NUMBER = re.compile(r"^[^<>{}\\]+$")  # as written (N° 26/1234, PARQUET-77), no markup
ACCOUNT_ID = re.compile(r"^[\w.:\-]{1,64}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.]{1,64}$")


class AlreadyAcknowledged(DisclosureError):
    message = gettext_lazy("This request was already acknowledged.")


class DocumentUnavailable(DisclosureError):
    message = gettext_lazy("The order document is not available.")


class DocumentIntegrityError(DisclosureError):
    message = gettext_lazy(
        "The stored order document no longer matches its SHA-256: it was not served."
    )


@dataclass(frozen=True)
class RequestInput:
    """What intake captures from the order, as the authority gave it."""

    instrument: str
    authority_id: int | None
    issuer_type: str
    issuing_file_number: str
    channel: str
    received_at: datetime | None
    legal_basis: str
    offence_category: str
    offence_description: str
    statement_of_reasons: str
    data_requested: tuple[str, ...]
    date_from: datetime | None  # wall-clock time in source_timezone (or aware)
    date_to: datetime | None
    source_timezone: str
    targets: tuple[str, ...]  # lines: account_id:<id>, username:<name>, phone:<number>
    case_ids: tuple[int, ...]
    validating_file_number: str = ""
    emergency: bool = False
    emergency_justification: str = ""
    nondisclosure: str = LegalRequest.NonDisclosure.NONE
    nondisclosure_expires_at: datetime | None = None


@dataclass
class ParsedTarget:
    kind: str
    value: str
    index: str
    account_id: int | None = None
    resolution: str = RequestTarget.Resolution.NONE


@dataclass
class DocumentInfo:
    name: str
    content_type: str
    size: int
    sha256: str
    extension: str


@dataclass
class CleanedIntake:
    fields: dict[str, Any] = field(default_factory=dict)
    targets: list[ParsedTarget] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


@lru_cache(maxsize=1)
def iana_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def stripped_text(value: str | None) -> str:
    return (value or "").strip()


# --- Targets ---------------------------------------------------------------------------
