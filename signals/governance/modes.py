"""
Detectors' modes: the resolver moderation asks when it stores a signal, and the one service
that changes a mode (a senior moderator, a fresh step-up, a reason, the mode they saw).

A hash bank's mode and its `enabled` flag say the same thing twice (matching reads the flag,
the resolver the mode), so both are written together here: off ⇔ disabled.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import reauth
from audit import services as audit
from moderation.models import Category
from signals.governance import permissions
from signals.governance.exceptions import (
    GovernanceInputInvalid,
    NotAllowed,
    StaleMode,
    StepUpRequired,
)
from signals.models import Detector, HashBank

if TYPE_CHECKING:
    from accounts.models import User

Kind, Mode = Detector.Kind, Detector.Mode

# A detector without a row: banks were curated by people, and platform scores were always
# used, so both stay live; a classifier has to prove itself in shadow first.
DEFAULT_MODES: dict[str, str] = {
    Kind.BANK: Mode.LIVE,
    Kind.PLATFORM: Mode.LIVE,
    Kind.MODEL: Mode.SHADOW,
}
REASON_MAX = 500


def kind_of(key: str) -> str:
    """ "bank:X" → "bank"; "" for a key of no known kind."""
    kind, sep, name = key.partition(":")
    return kind if sep and name and kind in Kind.values else ""


def default_mode(key: str) -> str:
    return DEFAULT_MODES.get(kind_of(key), Mode.LIVE)


def modes_resolve(keys: Collection[str]) -> dict[str, str]:
    """The resolver moderation calls (`moderation.detectors`): one query, whatever the keys."""
    wanted = set(keys)
    stored = dict(Detector.objects.filter(key__in=wanted).values_list("key", "mode"))
    return {key: stored.get(key, default_mode(key)) for key in wanted}


def bank_mode_default(bank: HashBank) -> str:
    """A bank without a row: off when it is disabled (the row is written on the next change)."""
    return Mode.LIVE if bank.enabled else Mode.OFF


def _detector_subject_exists(key: str) -> bool:
    kind, _sep, name = key.partition(":")
    if kind == Kind.BANK:
        return HashBank.objects.filter(name=name).exists()
    if kind == Kind.MODEL:
        return Category.objects.filter(code=name).exists()
    return kind == Kind.PLATFORM and 0 < len(name) <= 80


def _remode_after_commit(key: str) -> None:
    """The detector's signals on open cases follow its new mode, in the background."""
    from outbox.publish import publish
    from signals.governance import tasks

    transaction.on_commit(lambda: publish(tasks.detector_remode, key=key))


def _locked_row(key: str) -> Detector | None:
    return Detector.objects.select_for_update().filter(key=key).first()


def _record_mode_change(
    *, row: Detector, actor: User | None, before: str, reason: str, **extra: object
) -> None:
    audit.record(
        action="detector.mode_changed",
        actor=actor,
        target=row,
        data={"detector": row.key, "from": before, "to": row.mode, "reason": reason, **extra},
    )


@transaction.atomic(durable=True)
def detector_mode_change(
    *,
    key: str,
    mode: str,
    expected_mode: str,
    reason: str,
    actor: User,
    reauthenticated_at: int | None,
) -> Detector:
    """
    Put the detector in `mode`. Refused (nothing written) without the permission, without a
    fresh step-up, without a reason, or when its mode is no longer `expected_mode` (someone
    changed it since the page was shown). A bank is enabled or disabled with it.
    """
    if not permissions.can_manage_detectors(actor):
        raise NotAllowed
    if not reauth.is_fresh(reauthenticated_at):
        raise StepUpRequired
    errors: dict[str, list[str]] = {}
    if not kind_of(key) or not _detector_subject_exists(key):
        errors.setdefault("key", []).append(_("There is no such detector."))
    if mode not in Mode.values:
        errors.setdefault("mode", []).append(_("Choose off, shadow or live."))
    reason = reason.strip()
    if not reason:
        errors.setdefault("reason", []).append(_("Say why the mode changes."))
    elif len(reason) > REASON_MAX:
        errors.setdefault("reason", []).append(_("At most %(n)d characters.") % {"n": REASON_MAX})
    if errors:
        raise GovernanceInputInvalid(errors)
    kind, _sep, name = key.partition(":")
    bank = HashBank.objects.select_for_update().get(name=name) if kind == Kind.BANK else None
    row = _locked_row(key)
    if row is not None:
        current = row.mode
    else:
        current = bank_mode_default(bank) if bank is not None else default_mode(key)
    if current != expected_mode:
        raise StaleMode
    if current == mode:
        return row or Detector(key=key, kind=kind, mode=mode)
    now = timezone.now()
    if row is None:
        try:
            with transaction.atomic():
                row = Detector.objects.create(
                    key=key, kind=kind, mode=mode, changed_at=now, changed_by=actor
                )
        except IntegrityError as exc:  # another senior created the row since the read
            raise StaleMode from exc
    else:
        row.mode, row.changed_at, row.changed_by = mode, now, actor
        row.save(update_fields=["mode", "changed_at", "changed_by"])
    extra: dict[str, object] = {}
    if bank is not None and bank.enabled != (mode != Mode.OFF):
        bank.enabled = mode != Mode.OFF
        bank.save(update_fields=["enabled"])
        extra["bank_enabled"] = bank.enabled
    _record_mode_change(row=row, actor=actor, before=current, reason=reason, **extra)
    _remode_after_commit(key)
    return row


def bank_detector_sync(*, bank: HashBank, actor: User | None) -> None:
    """
    Follow a bank's `enabled` flag (changed or set in signals.services) with its detector's
    mode, in the caller's transaction: disabled → off; enabled again → live (a bank's
    default). A mode that already agrees (shadow for an enabled bank) is kept.
    """
    key = f"{Kind.BANK}:{bank.name}"
    row = _locked_row(key)
    current = row.mode if row is not None else Mode.LIVE
    wanted = Mode.OFF if not bank.enabled else (Mode.LIVE if current == Mode.OFF else current)
    if row is None and wanted == Mode.LIVE:
        return  # no row means live already
    if row is not None and row.mode == wanted:
        return
    now = timezone.now()
    if row is None:
        row = Detector.objects.create(
            key=key, kind=Kind.BANK, mode=wanted, changed_at=now, changed_by=actor
        )
    else:
        row.mode, row.changed_at, row.changed_by = wanted, now, actor
        row.save(update_fields=["mode", "changed_at", "changed_by"])
    reason = _("The bank was enabled.") if bank.enabled else _("The bank was disabled.")
    _record_mode_change(row=row, actor=actor, before=current, reason=reason)
    _remode_after_commit(key)
