"""
Subscriber data in: each account's phone number and its IP records, from the platform.

A batch is all-or-nothing. Every row is checked first, in Python, and one bad row refuses
the whole batch with the list of every problem (row number, field, reason), so a partly
imported file never has to be untangled. A valid batch is written in one transaction with
a number of queries that grows with the number of bulk batches, not with rows:

- accounts that do not exist yet are created (the platform knows them before we do);
- the phone number is upserted (one per account; a different number replaces the old);
- IP records are inserted once: a record already stored, or repeated in the batch, is
  counted as a duplicate and skipped, so importing the same file twice changes nothing.

The involved accounts are locked while the batch is written, so two imports touching the
same accounts run one after the other and the duplicate check stays exact.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from django.db import transaction
from django.utils.translation import gettext as _

import audit
from disclosures.crypto import blind_index
from disclosures.exceptions import DisclosureError
from disclosures.models import SubscriberIp, SubscriberPhone
from moderation.models import PlatformAccount

MAX_ROWS_PER_QUERY = 500
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
ACCOUNT_ID_MAX_LENGTH = PlatformAccount._meta.get_field("platform_id").max_length or 64

_ACCOUNT_ID = re.compile(r"^[!-~]+$")  # printable ASCII, no spaces: an identifier
# What a phone number may be written with: '+', the country code and the number, with the
# usual separators. Letters (vanity numbers, 'ext.') are refused rather than interpreted.
_PHONE_CHARS = re.compile(r"^\+[0-9 ()./-]+$")
_PHONE_MAX_LENGTH = 40
_IP_MAX_LENGTH = 64
_PORT_DIGITS = re.compile(r"^[0-9]{1,5}$")


@dataclass(frozen=True)
class SubscriberRow:
    """
    One row as received. Values are raw (text from a CSV file, JSON values from the API):
    checking them is this module's job. `number` names the row in errors (the CSV line or
    the API index); it defaults to the row's position in the batch.
    """

    account_id: Any
    phone: Any = None
    ip: Any = None
    port: Any = None
    seen_at: Any = None
    number: int | None = None


@dataclass(frozen=True)
class RowError:
    number: int
    field: str  # "" when the problem concerns the whole row
    message: str


@dataclass(frozen=True)
class CleanRow:
    number: int
    account_id: str
    phone: str | None  # E.164
    ip: str | None  # compressed form
    port: int | None
    seen_at: datetime | None  # UTC


@dataclass
class IngestSummary:
    rows: int = 0
    accounts_created: int = 0
    phones_created: int = 0
    phones_updated: int = 0
    phones_unchanged: int = 0
    ip_records_created: int = 0
    ip_records_duplicate: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class SubscriberDataInvalid(DisclosureError):
    """At least one row is bad; `errors` lists every problem, and nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(
            _("%(count)d problem(s) in the subscriber data; nothing was imported.")
            % {"count": len(errors)}
        )


# --- Checking one value ----------------------------------------------------------------------


class InvalidValue(ValueError):
    """One value is refused; the message says why (and never repeats the value)."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def phone_normalise(value: Any) -> str:
    """
    The number in E.164 ('+33612345678'), or InvalidValue with the reason.

    The international form is required (no default region): a national number such as
    06 12 34 56 78 is ambiguous without its country.
    """
    if not isinstance(value, str):
        raise InvalidValue(_("Give the phone number as text."))
    text = value.strip()
    if len(text) > _PHONE_MAX_LENGTH:
        raise InvalidValue(_("Too long for a phone number."))
    if not text.startswith("+"):
        raise InvalidValue(_("Start with + and the country code, e.g. +33 6 12 34 56 78."))
    if not _PHONE_CHARS.match(text):
        raise InvalidValue(_("Use digits after the +, with spaces, dashes, dots or brackets only."))
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise InvalidValue(_("Not a phone number.")) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(_("Not a valid phone number for its country code."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ip_normalise(value: Any) -> str:
    """The address in compressed form ('2001:db8::1'), or InvalidValue with the reason."""
    if not isinstance(value, str):
        raise InvalidValue(_("Give the IP address as text."))
    text = value.strip()
    if len(text) > _IP_MAX_LENGTH:
        raise InvalidValue(_("Too long for an IP address."))
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidValue(_("Not an IPv4 or IPv6 address.")) from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise InvalidValue(_("Leave out the zone (the part after %); it is local to one host."))
    return str(address)


def _port(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidValue(_("Give the port as a whole number from 0 to 65535."))
    if isinstance(value, str):
        text = value.strip()
        if not _PORT_DIGITS.match(text):
            raise InvalidValue(_("Give the port as a whole number from 0 to 65535."))
        value = int(text)
    if not isinstance(value, int):
        raise InvalidValue(_("Give the port as a whole number from 0 to 65535."))
    if not 0 <= value <= 65535:
        raise InvalidValue(_("A port is from 0 to 65535."))
    return value


def _seen_at(value: Any) -> datetime:
    if isinstance(value, str) and len(value.strip()) <= 64:
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidValue(
                _("Use an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z.")
            ) from None
    if not isinstance(value, datetime):
        raise InvalidValue(_("Use an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."))
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(_("Include the time zone, e.g. 2026-01-31T12:00:00Z or +01:00."))
    if not EARLIEST <= value < LATEST:
        raise InvalidValue(_("Use a date between 1970 and 2099."))
    return value.astimezone(UTC)


def _account_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(_("The platform's account id is required."))
    text = value.strip()
    if len(text) > ACCOUNT_ID_MAX_LENGTH:
        raise InvalidValue(
            _("At most %(n)d characters.") % {"n": ACCOUNT_ID_MAX_LENGTH},
        )
    if not _ACCOUNT_ID.match(text):
        raise InvalidValue(_("Use printable ASCII characters without spaces (an identifier)."))
    return text


# --- Checking a batch ------------------------------------------------------------------------


def _check_row(row: SubscriberRow, number: int) -> tuple[CleanRow | None, list[RowError]]:
    errors: list[RowError] = []
    clean: dict[str, Any] = {}

    def take(name: str, check: Any, value: Any) -> None:
        try:
            clean[name] = check(value)
        except InvalidValue as exc:
            errors.append(RowError(number, name, str(exc)))

    take("account_id", _account_id, row.account_id)
    for name, check in (("phone", phone_normalise), ("ip", ip_normalise), ("port", _port)):
        value = getattr(row, name)
        clean[name] = None
        if not _blank(value):
            take(name, check, value)
    clean["seen_at"] = None
    if not _blank(row.seen_at):
        take("seen_at", _seen_at, row.seen_at)

    has_ip, has_seen_at = not _blank(row.ip), not _blank(row.seen_at)
    if has_ip and not has_seen_at:
        errors.append(RowError(number, "seen_at", _("An IP record needs its time (seen_at).")))
    if has_seen_at and not has_ip:
        errors.append(RowError(number, "ip", _("A time (seen_at) needs its IP address.")))
    if not _blank(row.port) and not has_ip:
        errors.append(RowError(number, "ip", _("A port needs its IP address.")))
    if _blank(row.phone) and not has_ip and not has_seen_at and _blank(row.port):
        errors.append(RowError(number, "", _("Give a phone number, an IP record, or both.")))
    if errors:
        return None, errors
    return CleanRow(number=number, **clean), []


def subscriber_rows_check(
    *, rows: Sequence[SubscriberRow]
) -> tuple[list[CleanRow], list[RowError]]:
    """
    Every row checked and normalised, and every problem found (no database access).

    Besides each row on its own: one account cannot be given two different phone numbers
    in one batch (which one would win is not obvious, so neither does).
    """
    clean_rows: list[CleanRow] = []
    errors: list[RowError] = []
    phone_seen: dict[str, tuple[str, int]] = {}
    for position, row in enumerate(rows):
        number = row.number if row.number is not None else position
        clean, row_errors = _check_row(row, number)
        errors.extend(row_errors)
        if clean is None:
            continue
        clean_rows.append(clean)
        if clean.phone is None:
            continue
        earlier = phone_seen.setdefault(clean.account_id, (clean.phone, number))
        if earlier[0] != clean.phone:
            errors.append(
                RowError(
                    number,
                    "phone",
                    _("Two different phone numbers for this account in one batch (see %(n)d).")
                    % {"n": earlier[1]},
                )
            )
    return clean_rows, errors


# --- Writing ---------------------------------------------------------------------------------


def _chunks[T](items: Sequence[T], size: int = MAX_ROWS_PER_QUERY) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _accounts_lock(platform_ids: list[str]) -> tuple[dict[str, int], int]:
    """platform id -> pk for every account, creating the missing ones; all rows locked."""
    existing: set[str] = set()
    for chunk in _chunks(platform_ids):
        existing.update(
            PlatformAccount.objects.filter(platform_id__in=chunk).values_list(
                "platform_id", flat=True
            )
        )
    missing = [pid for pid in platform_ids if pid not in existing]
    PlatformAccount.objects.bulk_create(
        [PlatformAccount(platform_id=pid) for pid in missing],
        ignore_conflicts=True,
        batch_size=MAX_ROWS_PER_QUERY,
    )
    pks: dict[str, int] = {}
    for chunk in _chunks(platform_ids):
        pks.update(
            PlatformAccount.objects.select_for_update()
            .filter(platform_id__in=chunk)
            .order_by("pk")
            .values_list("platform_id", "pk")
        )
    return pks, len(missing)


def _phones_upsert(rows: list[CleanRow], pks: dict[str, int], summary: IngestSummary) -> None:
    wanted = {pks[r.account_id]: r.phone for r in rows if r.phone is not None}
    stored: dict[int, str] = {}
    for chunk in _chunks(list(wanted)):
        stored.update(
            SubscriberPhone.objects.filter(account_id__in=chunk).values_list(
                "account_id", "phone_index"
            )
        )
    changed = []
    for account_pk, phone in wanted.items():
        index = blind_index(phone, kind="phone")
        if stored.get(account_pk) == index:
            summary.phones_unchanged += 1
            continue
        if account_pk in stored:
            summary.phones_updated += 1
        else:
            summary.phones_created += 1
        changed.append(SubscriberPhone(account_id=account_pk, phone=phone, phone_index=index))
    SubscriberPhone.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["phone", "phone_index", "updated_at"],
        batch_size=MAX_ROWS_PER_QUERY,
    )


type _IpKey = tuple[int, str, int | None, datetime]


def _ips_insert(rows: list[CleanRow], pks: dict[str, int], summary: IngestSummary) -> None:
    wanted: dict[_IpKey, str] = {}  # the key, and the IP address in clear
    for row in rows:
        if row.ip is None or row.seen_at is None:
            continue
        key = (pks[row.account_id], blind_index(row.ip, kind="ip"), row.port, row.seen_at)
        if key in wanted:
            summary.ip_records_duplicate += 1
        else:
            wanted[key] = row.ip
    # The unique constraint cannot catch repeats without a port (NULLs are distinct), so
    # what is already stored is looked up first, by the indexed columns.
    stored: set[_IpKey] = set()
    for chunk in _chunks(list(wanted)):
        candidates = SubscriberIp.objects.filter(
            account_id__in={k[0] for k in chunk},
            ip_index__in={k[1] for k in chunk},
            seen_at__in={k[3] for k in chunk},
        ).values_list("account_id", "ip_index", "port", "seen_at")
        stored.update(candidates)
    new = []
    for key, ip in wanted.items():
        if key in stored:
            summary.ip_records_duplicate += 1
            continue
        new.append(
            SubscriberIp(account_id=key[0], ip=ip, ip_index=key[1], port=key[2], seen_at=key[3])
        )
    SubscriberIp.objects.bulk_create(new, ignore_conflicts=True, batch_size=MAX_ROWS_PER_QUERY)
    summary.ip_records_created += len(new)


@transaction.atomic(durable=True)
def subscriber_data_ingest(*, rows: Sequence[SubscriberRow], source: str) -> IngestSummary:
    """
    Import a batch of subscriber data, all of it or nothing.

    Raises SubscriberDataInvalid listing every bad row (nothing written). The audit event
    carries counts and the source only: the trail never holds a phone number or an address.
    """
    clean_rows, errors = subscriber_rows_check(rows=rows)
    if errors:
        raise SubscriberDataInvalid(errors)
    summary = IngestSummary(rows=len(clean_rows))
    platform_ids = sorted({r.account_id for r in clean_rows})
    pks, summary.accounts_created = _accounts_lock(platform_ids)
    _phones_upsert(clean_rows, pks, summary)
    _ips_insert(clean_rows, pks, summary)
    audit.record(
        action="subscriber_data.imported",
        data={"source": source[:100], **summary.as_dict()},
    )
    return summary
