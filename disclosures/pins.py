"""
The data a scope pins when it is frozen, so that approval covers the records and not only
the selectors.

At freeze, every record in scope is read through the subscriber adapter (the same
extraction a package uses) and reduced to a keyed fingerprint of its canonical form: the
category, the decrypted value, port and time, the data source and the source's own record
id (provenance). The scope stores the fingerprints per target and category, the counts, and
a digest over all of them. A build recomputes the pins; any difference refuses the build and
names what changed (records added, removed or changed per target and category) without ever
naming a value. The fingerprints are HMACs under a key of this platform, so the stored pins
cannot be brute-forced back to phone numbers or addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from disclosures.package.build import (
    IP,
    PHONE,
    ScopeSpec,
    canonical_bytes,
    extract,
    sha256_hex,
)

PINS_VERSION = 1
ROW_KEYS = {"phone_numbers": PHONE, "ip_records": IP}
CATEGORY_LABELS = {PHONE: "phone number", IP: "IP addresses"}

type Counts = dict[str, dict[str, int]]
type Fingerprints = dict[str, dict[str, dict[str, str]]]


def category_totals(counts: Counts) -> dict[str, int]:
    """Records per category over all targets."""
    totals: dict[str, int] = {}
    for per in counts.values():
        for category, n in per.items():
            totals[category] = totals.get(category, 0) + n
    return totals


def _pin_key() -> bytes:
    base = (settings.BLIND_INDEX_KEY or "").encode() or hashlib.sha256(
        f"blind-index:{settings.SECRET_KEY}".encode()
    ).digest()
    return hmac.new(base, b"scope-data-pins", hashlib.sha256).digest()


@dataclass(frozen=True)
class DataPins:
    digest: str
    counts: Counts  # {platform account id: {category: records}}, zeros included
    fingerprints: Fingerprints  # {account: {category: {record key: fingerprint}}}

    @property
    def total(self) -> int:
        return sum(n for per in self.counts.values() for n in per.values())

    def category_totals(self) -> dict[str, int]:
        return category_totals(self.counts)

    def empty_accounts(self) -> list[str]:
        return sorted(a for a, per in self.counts.items() if not any(per.values()))


def pins_from_data(scope: ScopeSpec, data: dict[str, list[dict[str, Any]]]) -> DataPins:
    """The pins of an extraction made with provenance (rows carry "record")."""
    key = _pin_key()
    source = settings.SUBSCRIBER_DATA_SOURCE
    counts: Counts = {a: dict.fromkeys(scope.categories, 0) for a in scope.accounts}
    prints: Fingerprints = {a: {c: {} for c in scope.categories} for a in scope.accounts}
    for row_key, category in ROW_KEYS.items():
        if category not in scope.categories:
            continue
        for row in data.get(row_key, []):
            values = dict(row)
            record = str(values.pop("record", "") or "")
            account = str(values.get("account"))
            if account not in counts:
                continue  # extraction already filters; never pin outside the scope
            canonical = canonical_bytes(
                {"category": category, "source": source, "record": record, **values}
            )
            if record:
                record_key = record
            elif category == PHONE:
                record_key = "phone"  # one number per account
            else:
                record_key = sha256_hex(canonical)[:32]
            bucket = prints[account][category]
            unique_key, n = record_key, 1
            while unique_key in bucket:  # a source that repeats an id: keep both records
                n += 1
                unique_key = f"{record_key}#{n}"
            bucket[unique_key] = hmac.new(key, canonical, hashlib.sha256).hexdigest()
            counts[account][category] += 1
    digest = sha256_hex(canonical_bytes({"version": PINS_VERSION, "records": prints}))
    return DataPins(digest=digest, counts=counts, fingerprints=prints)


def data_pins(scope_json: str | dict[str, Any]) -> DataPins:
    """Read the scope's records now and pin them."""
    return pins_from_data(ScopeSpec.parse(scope_json), extract(scope_json, provenance=True))


@dataclass(frozen=True)
class PinChange:
    account: str
    category: str
    added: int
    removed: int
    changed: int

    def describe(self) -> str:
        return _(
            "account %(account)s, %(category)s: %(added)d added, %(removed)d removed, "
            "%(changed)d changed"
        ) % {
            "account": self.account,
            "category": CATEGORY_LABELS.get(self.category, self.category),
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "category": self.category,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
        }


def pins_diff(pinned: Fingerprints, current: Fingerprints) -> list[PinChange]:
    """What changed per target and category between two sets of fingerprints (no values)."""
    changes = []
    for account in sorted(set(pinned) | set(current)):
        before_cats, after_cats = pinned.get(account, {}), current.get(account, {})
        for category in sorted(set(before_cats) | set(after_cats)):
            before, after = before_cats.get(category, {}), after_cats.get(category, {})
            added = len(set(after) - set(before))
            removed = len(set(before) - set(after))
            changed = sum(1 for k in set(before) & set(after) if before[k] != after[k])
            if added or removed or changed:
                changes.append(PinChange(account, category, added, removed, changed))
    return changes
