"""Reads of hash banks: the bank list with its counts, one bank's hashes, "bank it" choices."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core.keyset import KeysetCursor
from moderation.models import Decision
from moderation.models.decisions import Action
from signals import permissions
from signals.models import BankedHash, HashBank

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from accounts.models import User
    from moderation.selectors.cases import CaseContext

HASH_PAGE_SIZE = 50
SIGNAL_TYPES = tuple(BankedHash.SignalType.values)


def _count_annotations() -> dict[str, Count]:
    """`<type>_enabled` and `<type>_disabled` for each signal type, counted in the same query."""
    counts: dict[str, Count] = {}
    for signal_type in SIGNAL_TYPES:
        of_type = Q(hashes__signal_type=signal_type)
        counts[f"{signal_type}_enabled"] = Count(
            "hashes", filter=of_type & Q(hashes__disabled_at__isnull=True)
        )
        counts[f"{signal_type}_disabled"] = Count(
            "hashes", filter=of_type & Q(hashes__disabled_at__isnull=False)
        )
    return counts


@dataclasses.dataclass(frozen=True)
class TypeCount:
    signal_type: str
    label: str
    enabled: int
    disabled: int


def type_counts(bank: HashBank) -> list[TypeCount]:
    """The counts `bank_list` / `bank_detail` annotated, one entry per signal type."""
    labels = dict(BankedHash.SignalType.choices)
    return [
        TypeCount(
            signal_type=t,
            label=str(labels[t]),
            enabled=getattr(bank, f"{t}_enabled", 0),
            disabled=getattr(bank, f"{t}_disabled", 0),
        )
        for t in SIGNAL_TYPES
    ]


def bank_list() -> list[HashBank]:
    """Every bank with its hash counts by type and state: one query, however many banks."""
    return list(
        HashBank.objects.select_related("category")
        .annotate(**_count_annotations())
        .order_by("name", "id")
    )


def bank_detail(*, bank_id: int) -> HashBank:
    """The bank with its counts; HashBank.DoesNotExist when there is none."""
    return (
        HashBank.objects.select_related("category", "created_by")
        .annotate(**_count_annotations())
        .get(pk=bank_id)
    )


def bank_by_id(*, bank_id: int) -> HashBank:
    """The bank alone (forms, settings); HashBank.DoesNotExist when there is none."""
    return HashBank.objects.select_related("category").get(pk=bank_id)


def bank_choices() -> list[HashBank]:
    return list(HashBank.objects.order_by("name", "id"))


@dataclasses.dataclass(frozen=True)
class HashCursor(KeysetCursor):
    """Where a page of a bank's hashes ended: the last id shown (newest first)."""

    id: int

    def is_valid(self) -> bool:
        return self.id > 0


@dataclasses.dataclass(frozen=True)
class HashPage:
    hashes: list[BankedHash]
    next_cursor: str | None


def bank_hashes_page(
    *, bank: HashBank, after: HashCursor | None, limit: int = HASH_PAGE_SIZE
) -> HashPage:
    """One page of the bank's hashes, newest first, keyset-paginated on the id."""
    rows = BankedHash.objects.filter(bank=bank).select_related(
        "added_by", "disabled_by", "source_decision"
    )
    if after is not None:
        rows = rows.filter(id__lt=after.id)
    hashes = list(rows.order_by("-id")[: limit + 1])
    more = len(hashes) > limit
    hashes = hashes[:limit]
    return HashPage(
        hashes=hashes,
        next_cursor=HashCursor(id=hashes[-1].pk).encode() if more else None,
    )


def banked_hash_by_id(*, hash_id: int) -> BankedHash:
    """One hash with what its table row shows; BankedHash.DoesNotExist when there is none."""
    return BankedHash.objects.select_related(
        "bank", "added_by", "disabled_by", "source_decision"
    ).get(pk=hash_id)


# --- "Bank it" -----------------------------------------------------------------------------


def decision_case_id(*, decision_id: int) -> int:
    """The case the decision is on; Decision.DoesNotExist when there is no such decision."""
    return Decision.objects.values_list("case_id", flat=True).get(pk=decision_id)


def bank_it_refusal(decision: Decision) -> str | None:
    """
    Why the decision's media may not be banked, or None when it may: only a decision in
    force that removed the content says the media itself is violating.
    """
    if decision.status != Decision.Status.IN_FORCE:
        return _("Only a decision in force can be banked: this one was %(status)s.") % {
            "status": decision.get_status_display().lower()
        }
    if Action.REMOVE_CONTENT not in decision.actions:
        return _("Only a decision that removed the content can be banked.")
    return None


def bank_it_options(decision: Decision, user: User | AnonymousUser) -> list[HashBank] | None:
    """
    The banks the user may add the decision's media to, or None when the case page should not
    offer "bank it" at all (the user may not curate banks, the decision does not qualify, or
    the case has no reported media). An empty list: the user may, but no bank exists yet.
    """
    if not permissions.can_manage_hash_banks(user) or bank_it_refusal(decision) is not None:
        return None
    if not decision.case.reports.exclude(media_sha256="").exists():
        return None
    return bank_choices()


def bank_it_panel(request: HttpRequest, ctx: CaseContext) -> dict[str, Any] | None:
    """The case page's "bank it" panel: for the decision in force, when the user may bank it."""
    decision = next((d for d in ctx.decisions if d.status == Decision.Status.IN_FORCE), None)
    if decision is None:
        return None
    banks = bank_it_options(decision, request.user)
    if banks is None:
        return None
    return {"decision": decision, "bank_it_banks": banks}
