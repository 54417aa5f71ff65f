"""
Legal holds on an account's evidence: while one is in force, the retention purge
(`moderation.services.retention`) keeps every report about the account's content, its thread
context and its media.

Holds are placed and released by what needs the evidence kept, named as the `source` (a model
instance, stored as its label and primary key like an audit target): a preservation order's
hold or a legal request that names the account (the disclosures app calls these services in
its own transaction, so a hold exists exactly when the order or request that needs it does).

Both services join the caller's transaction (they are not durable: a legal request's change
and its holds commit together) and lock the account's row first, so placing, releasing and
the purge of one account are serialised. Both are idempotent: a hold already in force for
the same source is returned as it is, and releasing one that is not in force changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone

import audit
from moderation.models import EvidenceHold, PlatformAccount

if TYPE_CHECKING:
    from accounts.models import User

REASON_MAX = EvidenceHold._meta.get_field("reason").max_length or 200


def hold_source(source: models.Model) -> tuple[str, str]:
    """The (label, id) pair that names what placed a hold, as audit targets are named."""
    return source._meta.label_lower, str(source.pk)


def _lock_account(account: PlatformAccount | int) -> PlatformAccount:
    pk = account if isinstance(account, int) else account.pk
    return PlatformAccount.objects.select_for_update().get(pk=pk)


def _active(account_id: int, source_type: str, source_id: str) -> EvidenceHold | None:
    return (
        EvidenceHold.objects.filter(
            account_id=account_id,
            source_type=source_type,
            source_id=source_id,
            released_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def evidence_hold_place(
    *, account: PlatformAccount | int, source: models.Model, reason: str, actor: User | None
) -> EvidenceHold:
    """
    Keep the account's evidence until `source` releases it; returns the hold in force.

    Placing the same source's hold twice returns the first and records nothing more.
    """
    locked = _lock_account(account)
    source_type, source_id = hold_source(source)
    existing = _active(locked.pk, source_type, source_id)
    if existing is not None:
        return existing
    hold = EvidenceHold.objects.create(
        account=locked,
        source_type=source_type,
        source_id=source_id,
        reason=(reason.strip() or source_type)[:REASON_MAX],
        placed_by=actor,
    )
    audit.record(
        action="evidence.hold_placed",
        actor=actor,
        target=locked,
        data={"hold": hold.pk, "source_type": source_type, "source_id": source_id},
    )
    return hold


@transaction.atomic
def evidence_hold_release(
    *, account: PlatformAccount | int, source: models.Model, actor: User | None
) -> EvidenceHold | None:
    """
    End the hold `source` placed on the account; returns it, or None when none was in force.

    Other sources' holds on the same account stay: the evidence is kept while any is in force.
    """
    locked = _lock_account(account)
    source_type, source_id = hold_source(source)
    hold = _active(locked.pk, source_type, source_id)
    if hold is None:
        return None
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.save(update_fields=["released_at", "released_by"])
    audit.record(
        action="evidence.hold_released",
        actor=actor,
        target=locked,
        data={"hold": hold.pk, "source_type": source_type, "source_id": source_id},
    )
    return hold


@transaction.atomic
def evidence_holds_release(*, source: models.Model, actor: User | None) -> list[int]:
    """
    End every hold `source` placed, whichever accounts they are on (a legal request that
    ended); returns the ids of the holds released, in account order.
    """
    source_type, source_id = hold_source(source)
    account_ids = list(
        EvidenceHold.objects.filter(
            source_type=source_type, source_id=source_id, released_at__isnull=True
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
    )
    released = []
    for account_id in account_ids:
        hold = evidence_hold_release(account=account_id, source=source, actor=actor)
        if hold is not None:
            released.append(hold.pk)
    return released
