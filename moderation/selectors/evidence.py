"""Reads about evidence kept on legal hold (for the case page and the legal request page)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from moderation.models import EvidenceHold


def holds_for_accounts(account_ids: Iterable[int]) -> dict[int, list[EvidenceHold]]:
    """The holds in force on each account, oldest first, in one query; no key: no hold."""
    ids = sorted({pk for pk in account_ids if pk is not None})
    found: dict[int, list[EvidenceHold]] = defaultdict(list)
    if not ids:
        return {}
    for hold in EvidenceHold.objects.filter(account_id__in=ids, released_at__isnull=True).order_by(
        "account_id", "placed_at", "id"
    ):
        found[hold.account_id].append(hold)
    return dict(found)


def account_on_hold(account_id: int) -> bool:
    """Whether any hold keeps the account's evidence (the case page's banner)."""
    return EvidenceHold.objects.filter(account_id=account_id, released_at__isnull=True).exists()
