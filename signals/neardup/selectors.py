"""
Reads of near-duplicate groups: the list (largest first), one group's members, and the
groups of one case for its page. Each is a constant number of queries however large the
groups grow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from moderation.models import Case
from signals.models import DuplicateGroup, DuplicateMember

PAGE_SIZE = 25
# Other cases listed per group on the case page; the group's page lists them all.
PANEL_ROWS = 10


@dataclass(frozen=True)
class GroupCursor:
    """Where the next page starts: after this (size, id) in "largest first, then oldest"."""

    size: int
    id: int

    def encode(self) -> str:
        return f"{self.size}-{self.id}"

    @classmethod
    def decode(cls, value: str) -> GroupCursor | None:
        """The cursor in a URL, or None when it is not one (the first page is shown)."""
        size, _, pk = value.partition("-")
        if not (size.isdigit() and pk.isdigit()) or len(value) > 40:
            return None
        return cls(int(size), int(pk))


@dataclass
class GroupPage:
    groups: list[DuplicateGroup]
    next_cursor: str = ""


def _open_first() -> ExpressionWrapper:
    """Order key that puts open cases before the others (False sorts first)."""
    return ExpressionWrapper(~Q(case__status=Case.Status.OPEN), output_field=BooleanField())


def _live_groups() -> QuerySet[DuplicateGroup]:
    """Groups that still stand: not merged into another, with at least two cases."""
    return DuplicateGroup.objects.filter(merged_into__isnull=True, size__gte=2)


def groups_page(*, kind: str = "", after: GroupCursor | None = None) -> GroupPage:
    """One page of groups, largest first, keyset-paginated; each with its open-case count."""
    groups = _live_groups()
    if kind:
        groups = groups.filter(kind=kind)
    if after is not None:
        groups = groups.filter(Q(size__lt=after.size) | Q(size=after.size, id__gt=after.id))
    rows: list[DuplicateGroup] = list(
        groups.annotate(
            open_count=Count("members", filter=Q(members__case__status=Case.Status.OPEN))
        ).order_by("-size", "id")[: PAGE_SIZE + 1]
    )
    page = GroupPage(groups=rows[:PAGE_SIZE])
    if len(rows) > PAGE_SIZE:
        last = page.groups[-1]
        page.next_cursor = GroupCursor(last.size, last.pk).encode()
    return page


def group_resolve(*, group_id: int) -> DuplicateGroup | None:
    """The group, or the group it was merged into (None when neither exists)."""
    group = DuplicateGroup.objects.filter(pk=group_id).select_related("merged_into").first()
    if group is not None and group.merged_into is not None:
        # Merges re-point older merges at the survivor, so one step is enough.
        return group.merged_into
    return group


def group_members(*, group: DuplicateGroup) -> list[DuplicateMember]:
    """Every member with its case, category and linking report: open cases first."""
    return list(
        DuplicateMember.objects.filter(group=group)
        .select_related("case__category", "report")
        .order_by(_open_first(), "case_id")
    )


@dataclass
class GroupSummary:
    """What the case page and the group page say about a group's cases."""

    group: DuplicateGroup
    similarity: float = 1.0  # this case's similarity, on the case page
    others: list[DuplicateMember] = field(default_factory=list)
    open_ids: list[int] = field(default_factory=list)
    decided: int = 0
    in_progress: int = 0

    @property
    def bulk_query(self) -> str:
        """The bulk page's selection: the group's open cases."""
        return urlencode([("case", pk) for pk in self.open_ids])

    @property
    def bulk_url(self) -> str:
        return f"{reverse('moderation:bulk_new')}?{self.bulk_query}" if self.open_ids else ""


def _statuses(group_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    """Case ids by status, per group (ids only: the bulk link needs every open one)."""
    found: dict[int, dict[str, list[int]]] = {pk: {} for pk in group_ids}
    for group_id, case_id, status in (
        DuplicateMember.objects.filter(group_id__in=group_ids)
        .order_by("group_id", "case_id")
        .values_list("group_id", "case_id", "case__status")
    ):
        found[group_id].setdefault(status, []).append(case_id)
    return found


def _summary(group: DuplicateGroup, statuses: dict[str, list[int]]) -> GroupSummary:
    open_ids = statuses.get(Case.Status.OPEN, [])
    decided = len(statuses.get(Case.Status.RESOLVED, []))
    total = sum(len(ids) for ids in statuses.values())
    return GroupSummary(
        group=group,
        open_ids=open_ids,
        decided=decided,
        in_progress=total - len(open_ids) - decided,
    )


def group_summary(*, group: DuplicateGroup) -> GroupSummary:
    return _summary(group, _statuses([group.pk])[group.pk])


def case_groups(*, case_id: int) -> list[GroupSummary]:
    """
    The groups a case is in (one per kind), each with up to PANEL_ROWS other cases and the
    open / decided counts: three queries whatever the groups' sizes.
    """
    mine = list(
        DuplicateMember.objects.filter(case_id=case_id, group__merged_into__isnull=True)
        .select_related("group")
        .order_by("kind")
    )
    if not mine:
        return []
    group_ids = [m.group_id for m in mine]
    statuses = _statuses(group_ids)
    # The first PANEL_ROWS other members of each group, in one query (a window per group).
    others = (
        DuplicateMember.objects.filter(group_id__in=group_ids)
        .exclude(case_id=case_id)
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("group_id")], order_by=[_open_first(), F("case_id")]
            )
        )
        .filter(position__lte=PANEL_ROWS)
        .select_related("case__category", "report")
        .order_by("group_id", "position")
    )
    by_group: dict[int, list[DuplicateMember]] = {pk: [] for pk in group_ids}
    for other in others:
        by_group[other.group_id].append(other)
    summaries = []
    for member in mine:
        summary = _summary(member.group, statuses[member.group_id])
        summary.similarity = member.similarity
        summary.others = by_group[member.group_id]
        summaries.append(summary)
    return summaries
