"""
Writes to hash banks: create and configure a bank, import hashes, disable and enable one,
bank a decision's media. Each runs in its own transaction and records its audit event there.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from moderation.models import Category, Decision
from moderation.selectors.cases import media_for_reports
from signals import permissions
from signals.exceptions import (
    BankInputInvalid,
    BankItRefused,
    ImportRejected,
    NotAllowed,
    SignalsError,
    format_line_error,
)
from signals.governance.modes import bank_detector_sync
from signals.hash_import import MAX_IMPORT_BYTES, MAX_IMPORT_LINES, ParsedHash, hashes_parse
from signals.models import BankedHash, HashBank
from signals.selectors import bank_it_refusal

if TYPE_CHECKING:
    from accounts.models import User

# Re-exported: views, forms and tests reach the refusals and the parser through services.
__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_LINES",
    "BankInputInvalid",
    "BankItRefused",
    "ImportRejected",
    "NotAllowed",
    "ParsedHash",
    "SignalsError",
    "format_line_error",
    "hashes_parse",
]


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_hash_banks(actor):
        raise NotAllowed


# --- Banks ------------------------------------------------------------------------------------


def _validated(bank: HashBank, *, exclude: list[str] | None = None) -> None:
    try:
        bank.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise BankInputInvalid(
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        ) from exc


@transaction.atomic(durable=True)
def bank_create(
    *,
    name: str,
    actor: User,
    description: str = "",
    category: Category | None = None,
    enabled: bool = True,
    pdq_threshold: int = 31,
    match_percent: int = 100,
) -> HashBank:
    """A new bank; its name is UPPER_WITH_UNDER, as HMA and pytx name theirs."""
    _require_manager(actor)
    bank = HashBank(
        name=name,
        description=description,
        category=category,
        enabled=enabled,
        pdq_threshold=pdq_threshold,
        match_percent=match_percent,
        created_by=actor,
    )
    _validated(bank, exclude=["created_by"])
    try:
        with transaction.atomic():
            bank.save()
    except IntegrityError as exc:  # another curator took the name since the check
        raise BankInputInvalid({"name": [_("A bank with this name already exists.")]}) from exc
    audit.record(
        action="hash_bank.created",
        actor=actor,
        target=bank,
        data={"name": bank.name, **_settings_of(bank)},
    )
    # A bank created disabled is a detector that is off (off ⇔ disabled).
    bank_detector_sync(bank=bank, actor=actor)
    return bank


BANK_SETTINGS = ("description", "category", "enabled", "pdq_threshold", "match_percent")


def _settings_of(bank: HashBank) -> dict[str, Any]:
    return {
        "description": bank.description,
        "category": bank.category_id,
        "enabled": bank.enabled,
        "pdq_threshold": bank.pdq_threshold,
        "match_percent": bank.match_percent,
    }


@transaction.atomic(durable=True)
def bank_update(*, bank_id: int, actor: User, **changes: Any) -> HashBank:
    """
    Change a bank's settings (any of BANK_SETTINGS); the name stays, because matches and
    imports elsewhere refer to it. The event lists each changed setting, before and after.
    """
    _require_manager(actor)
    unknown = set(changes) - set(BANK_SETTINGS)
    if unknown:
        raise TypeError(f"bank_update() cannot change {sorted(unknown)}")
    bank = HashBank.objects.select_for_update().get(pk=bank_id)
    before = _settings_of(bank)
    for field, value in changes.items():
        setattr(bank, field, value)
    _validated(bank, exclude=["created_by", "name"])
    after = _settings_of(bank)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changed:
        return bank
    bank.save(update_fields=list(changed))
    audit.record(action="hash_bank.updated", actor=actor, target=bank, data={"changes": changed})
    if "enabled" in changed:  # the bank's detector follows: off ⇔ disabled
        bank_detector_sync(bank=bank, actor=actor)
    return bank


# --- Importing hashes -------------------------------------------------------------------------

_BATCH = 2000


@dataclasses.dataclass(frozen=True)
class ImportResult:
    added: dict[str, int]
    duplicates_in_file: int
    already_in_bank: int

    @property
    def added_total(self) -> int:
        return sum(self.added.values())


def _existing_values(bank: HashBank, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    by_type: dict[str, list[str]] = {}
    for signal_type, value in keys:
        by_type.setdefault(signal_type, []).append(value)
    for signal_type, values in by_type.items():
        for start in range(0, len(values), _BATCH):
            chunk = values[start : start + _BATCH]
            found.update(
                (signal_type, v)
                for v in BankedHash.objects.filter(
                    bank=bank, signal_type=signal_type, value__in=chunk
                ).values_list("value", flat=True)
            )
    return found


@transaction.atomic(durable=True)
def hashes_import(*, bank: HashBank, text: str, actor: User) -> ImportResult:
    """
    Add the text's hashes to the bank, all or nothing: one bad line and nothing is imported,
    the refusal listing every bad line. A hash already in the bank (disabled ones included:
    re-enable those one by one) or repeated in the file is counted, not added twice.
    """
    _require_manager(actor)
    parsed = hashes_parse(text)
    locked = HashBank.objects.select_for_update().get(pk=bank.pk)
    unique: dict[tuple[str, str], ParsedHash] = {}
    for item in parsed:
        unique.setdefault((item.signal_type, item.value), item)
    existing = _existing_values(locked, set(unique))
    new = [item for key, item in unique.items() if key not in existing]
    BankedHash.objects.bulk_create(
        [
            BankedHash(
                bank=locked,
                signal_type=item.signal_type,
                value=item.value,
                label=item.label,
                tags=list(item.tags),
                added_by=actor,
            )
            for item in new
        ],
        batch_size=_BATCH,
    )
    counts = Counter(item.signal_type for item in new)
    result = ImportResult(
        added={t: counts.get(t, 0) for t in BankedHash.SignalType.values},
        duplicates_in_file=len(parsed) - len(unique),
        already_in_bank=len(existing),
    )
    audit.record(
        action="hash_bank.hashes_imported",
        actor=actor,
        target=locked,
        data={
            "added": result.added,
            "duplicates_in_file": result.duplicates_in_file,
            "already_in_bank": result.already_in_bank,
        },
    )
    return result


# --- One hash -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def hash_disable(*, hash_id: int, actor: User) -> BankedHash:
    """Stop matching the hash, keeping it (and what it matched) on record; idempotent."""
    _require_manager(actor)
    banked = BankedHash.objects.select_for_update().get(pk=hash_id)
    if banked.disabled_at is not None:
        return banked
    banked.disabled_at, banked.disabled_by = timezone.now(), actor
    banked.save(update_fields=["disabled_at", "disabled_by"])
    audit.record(
        action="banked_hash.disabled",
        actor=actor,
        target=banked,
        data={"bank": banked.bank_id, "signal_type": banked.signal_type},
    )
    return banked


@transaction.atomic(durable=True)
def hash_enable(*, hash_id: int, actor: User) -> BankedHash:
    """Match the hash again; idempotent."""
    _require_manager(actor)
    banked = BankedHash.objects.select_for_update().get(pk=hash_id)
    if banked.disabled_at is None:
        return banked
    banked.disabled_at, banked.disabled_by = None, None
    banked.save(update_fields=["disabled_at", "disabled_by"])
    audit.record(
        action="banked_hash.enabled",
        actor=actor,
        target=banked,
        data={"bank": banked.bank_id, "signal_type": banked.signal_type},
    )
    return banked


# --- "Bank it" ------------------------------------------------------------------------------

PDQ_MIN_QUALITY = 50  # below it pytx gives no PDQ at all: such hashes match noise


@dataclasses.dataclass(frozen=True)
class BankItResult:
    bank: HashBank
    added: dict[str, int]
    already_in_bank: int

    @property
    def added_total(self) -> int:
        return sum(self.added.values())


@transaction.atomic(durable=True)
def bank_it(*, decision_id: int, bank_id: int, actor: User) -> BankItResult:
    """
    Add the hashes of the decision's case media to the bank (PDQ when its quality is at least
    PDQ_MIN_QUALITY, SHA-256 and MD5 always), each pointing back at the decision. Only a
    decision in force that removed the content qualifies.
    """
    _require_manager(actor)
    decision = (
        Decision.objects.select_for_update(of=("self",)).select_related("case").get(pk=decision_id)
    )
    refusal = bank_it_refusal(decision)
    if refusal is not None:
        raise BankItRefused(refusal)
    bank = HashBank.objects.select_for_update().get(pk=bank_id)
    media = media_for_reports(decision.case.reports.exclude(media_sha256="").order_by("id"))
    if not media:
        raise BankItRefused(_("The case has no reported media to bank."))
    wanted: dict[tuple[str, str], None] = {}
    for item in media.values():
        if item.pdq and (item.pdq_quality or 0) >= PDQ_MIN_QUALITY:
            wanted[(BankedHash.SignalType.PDQ.value, item.pdq)] = None
        wanted[(BankedHash.SignalType.SHA256.value, item.sha256)] = None
        wanted[(BankedHash.SignalType.MD5.value, item.md5)] = None
    existing = _existing_values(bank, set(wanted))
    new = [key for key in wanted if key not in existing]
    label = _("Decision %(id)d") % {"id": decision.pk}
    BankedHash.objects.bulk_create(
        [
            BankedHash(
                bank=bank,
                signal_type=signal_type,
                value=value,
                label=label,
                added_by=actor,
                source_decision=decision,
            )
            for signal_type, value in new
        ]
    )
    counts = Counter(signal_type for signal_type, _value in new)
    result = BankItResult(
        bank=bank,
        added={t: counts.get(t, 0) for t in BankedHash.SignalType.values},
        already_in_bank=len(existing),
    )
    audit.record(
        action="hash_bank.decision_banked",
        actor=actor,
        target=bank,
        data={
            "decision": decision.pk,
            "case": decision.case_id,
            "added": result.added,
            "already_in_bank": result.already_in_bank,
        },
    )
    return result
