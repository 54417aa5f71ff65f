"""Reads of the search policy: the feed's pages, the lists the pages show, the review list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity, FeedHead, PolicyChange

FEED_PAGE_SIZE = 500
LIST_PAGE_SIZE = 100


def feed_head() -> int:
    """The latest version (0 before the first change)."""
    return FeedHead.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _term_entry(term: BlockedTerm) -> dict[str, Any]:
    # The term as entered and its reason stay here: the search service needs only the
    # normalised form to match, and licensed lists must not travel further than that.
    return {
        "id": f"t_{term.pk}",
        "kind": "query_term",
        "action": "BLOCK_RESULTS",
        "normalized": term.normalized,
        "variants": term.variants,
        "normalizer_version": term.normalizer_version,
        "match_type": term.match_type,
        "languages": term.languages,
        "countries": term.countries,
        "category": term.category,
    }


def _allowed_entry(allowed: AllowedTerm) -> dict[str, Any]:
    return {
        "id": f"a_{allowed.pk}",
        "kind": "allowed_term",
        "action": "ALLOW",
        "normalized": allowed.normalized,
        "variants": allowed.variants,
        "normalizer_version": allowed.normalizer_version,
        "match_type": allowed.match_type,
        "languages": allowed.languages,
        "countries": allowed.countries,
    }


def _entity_entry(entity: DelistedEntity) -> dict[str, Any]:
    return {
        "id": f"e_{entity.pk}",
        "kind": entity.entity_type,
        "action": "DELIST",
        "platform_id": entity.platform_id,
        "category": entity.category,
        "expires_at": entity.expires_at.isoformat() if entity.expires_at else None,
    }


def change_payload(change: PolicyChange) -> dict[str, Any]:
    if change.term is not None:
        entry = _term_entry(change.term)
    elif change.allowed is not None:
        entry = _allowed_entry(change.allowed)
    else:
        assert change.entity is not None  # the check constraint: exactly one of the three
        entry = _entity_entry(change.entity)
    if change.op == PolicyChange.Op.REMOVE:
        entry = {"id": entry["id"], "kind": entry["kind"]}
    return {"version": change.version, "op": change.op, "entry": entry}


@dataclass(frozen=True)
class FeedPage:
    changes: list[dict[str, Any]]
    to_version: int
    next_after: int | None


def feed_page(*, since: int, after: int | None, to_version: int, limit: int) -> FeedPage:
    """
    The changes after `since` (or after the cursor's `after`) up to `to_version`, oldest
    first: every page of one sync is as of the same version.
    """
    start = max(since, after or 0)
    rows = list(
        PolicyChange.objects.filter(version__gt=start, version__lte=to_version)
        .select_related("term", "entity", "allowed")
        .order_by("version")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedPage(
        changes=[change_payload(c) for c in rows],
        to_version=to_version,
        next_after=rows[-1].version if more and rows else None,
    )


def terms_list(*, status: str = "active", q: str = "", source: str = "") -> QuerySet[BlockedTerm]:
    rows = BlockedTerm.objects.select_related("added_by", "removed_by").order_by("-pk")
    if status == "active":
        rows = rows.filter(removed_at__isnull=True)
    elif status == "removed":
        rows = rows.filter(removed_at__isnull=False)
    if source:
        rows = rows.filter(source=source)
    if q:
        rows = rows.filter(Q(normalized__contains=q.lower()) | Q(term__icontains=q))
    return rows


def allowed_list(*, status: str = "active", q: str = "") -> QuerySet[AllowedTerm]:
    rows = AllowedTerm.objects.select_related("added_by", "removed_by").order_by("-pk")
    if status == "active":
        rows = rows.filter(removed_at__isnull=True)
    elif status == "removed":
        rows = rows.filter(removed_at__isnull=False)
    if q:
        rows = rows.filter(Q(normalized__contains=q.lower()) | Q(term__icontains=q))
    return rows


def entities_list(
    *, status: str = "active", q: str = "", entity_type: str = ""
) -> QuerySet[DelistedEntity]:
    rows = DelistedEntity.objects.select_related("added_by", "removed_by", "case").order_by("-pk")
    if status == "active":
        rows = rows.filter(removed_at__isnull=True)
    elif status == "removed":
        rows = rows.filter(removed_at__isnull=False)
    if entity_type:
        rows = rows.filter(entity_type=entity_type)
    if q:
        rows = rows.filter(platform_id__icontains=q)
    return rows


def review_due() -> tuple[list[BlockedTerm], list[DelistedEntity], list[AllowedTerm]]:
    today = timezone.localdate()
    terms = list(
        BlockedTerm.objects.filter(removed_at__isnull=True, review_at__lte=today)
        .select_related("added_by")
        .order_by("review_at", "pk")[:LIST_PAGE_SIZE]
    )
    entities = list(
        DelistedEntity.objects.filter(removed_at__isnull=True, review_at__lte=today)
        .select_related("added_by", "case")
        .order_by("review_at", "pk")[:LIST_PAGE_SIZE]
    )
    allowed = list(
        AllowedTerm.objects.filter(removed_at__isnull=True, review_at__lte=today)
        .select_related("added_by")
        .order_by("review_at", "pk")[:LIST_PAGE_SIZE]
    )
    return terms, entities, allowed
