"""
The triage queue: filters, keyset pages and capped counts.

Ordered by priority (descending) with the id (ascending) as tie-break, the mixed directions
defeat a row-value comparison and an OR of the two conditions makes the database scan
from the top. So a page after a cursor is read as two index range scans: the rest of the
cursor's priority (id > cursor id), then the lower priorities. Page 1000 costs page 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from core.keyset import KeysetCursor
from core.parsing import parse_id
from moderation.models import Case, CaseSignal, Category, Subject
from moderation.models.cases import SOURCE_FLAGS

if TYPE_CHECKING:
    from accounts.models import User

COUNT_CAP = 1000
DUE_SOON = timedelta(hours=4)


@dataclass(frozen=True)
class QueueFilters:
    status: str = Case.Status.OPEN
    categories: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    subject_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    deadline: str = ""  # overdue | due_soon | on_time
    signal: str = ""  # a CaseSignal kind the case must have (hash_match, blocked_term)
    order: str = "priority"  # priority | age

    def with_status(self, status: str) -> QueueFilters:
        return replace(self, status=status)


@dataclass(frozen=True)
class QueueCursor(KeysetCursor):
    priority: int
    id: int


@dataclass
class QueuePage:
    cases: list[Case]
    next_cursor: str | None
    counts: dict[str, Any] = field(default_factory=dict)


_SOURCE_FLAGS = {
    "user": "has_user_notice",
    "trusted_flagger": "has_trusted_flagger",
    "authority": "has_authority",
    "automated": "has_automated",
}


def apply_filters(cases: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    # A message case rolled up into its private group's case is triaged there, not here
    # (it is rolled up only while that case is active: a decision resolves or releases it).
    cases = cases.filter(status=filters.status, rollup_parent__isnull=True)
    if filters.categories:
        cases = cases.filter(category_id__in=filters.categories)
    if filters.subject_types:
        cases = cases.filter(subject_type__in=filters.subject_types)
    if filters.languages:
        cases = cases.filter(language__in=filters.languages)
    if filters.sources:
        from django.db.models import Q

        any_source = Q()
        for source in filters.sources:
            any_source |= Q(**{_SOURCE_FLAGS[source]: True})
        cases = cases.filter(any_source)
    if filters.signal:
        cases = cases.filter(
            Exists(CaseSignal.objects.filter(case_id=OuterRef("pk"), kind=filters.signal))
        )
    now = timezone.now()
    if filters.deadline == "overdue":
        cases = cases.filter(deadline_at__lt=now)
    elif filters.deadline == "due_soon":
        cases = cases.filter(deadline_at__gte=now, deadline_at__lt=now + DUE_SOON)
    elif filters.deadline == "on_time":
        cases = cases.filter(deadline_at__gte=now + DUE_SOON)
    return cases


# What a queue row shows, and nothing else: no subject or author join, no JSON explanation.
QUEUE_ROW_FIELDS = (
    "id",
    "status",
    "priority",
    "subject_type",
    "language",
    *SOURCE_FLAGS,
    "report_count",
    "reporter_count",
    "deadline_at",
    "category__name",
    "category__severity",
    "claimed_by__username",
)


def _rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("category", "claimed_by").only(*QUEUE_ROW_FIELDS)


def queue_page(
    *, filters: QueueFilters, cursor: str | None = None, size: int | None = None
) -> QueuePage:
    size = size or settings.QUEUE_PAGE_SIZE
    base = apply_filters(Case.objects.all(), filters)
    if filters.order == "age":
        after = parse_id(cursor)
        page = base.filter(id__gt=after) if after else base
        rows = list(_rows(page).order_by("id")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        _count_rolled_up(rows)
        return QueuePage(rows, str(rows[-1].pk) if more and rows else None)

    position = QueueCursor.decode(cursor) if cursor else None
    if position is None:
        rows = list(_rows(base).order_by("-priority", "id")[: size + 1])
    else:
        rows = list(
            _rows(base.filter(priority=position.priority, id__gt=position.id)).order_by("id")[
                : size + 1
            ]
        )
        if len(rows) <= size:
            rows += list(
                _rows(base.filter(priority__lt=position.priority)).order_by("-priority", "id")[
                    : size + 1 - len(rows)
                ]
            )
    more = len(rows) > size
    rows = rows[:size]
    _count_rolled_up(rows)
    next_cursor = QueueCursor(rows[-1].priority, rows[-1].pk).encode() if more and rows else None
    return QueuePage(rows, next_cursor)


def _count_rolled_up(rows: list[Case]) -> None:
    """Set `rolled_up_count` on each row: the active message cases its group case holds."""
    groups = [c.pk for c in rows if c.subject_type == Subject.Type.GROUP]
    counts = (
        dict(
            Case.objects.filter(rollup_parent_id__in=groups, status__in=Case.ACTIVE)
            .values("rollup_parent_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("rollup_parent_id", "n")
        )
        if groups
        else {}
    )
    for case in rows:
        case.rolled_up_count = counts.get(case.pk, 0)  # type: ignore[attr-defined]


def capped_count(cases: QuerySet[Case], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count at most `cap` rows: large tables answer as fast as small ones ("1000+")."""
    n = cases.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def _capped_sql(cases: QuerySet[Case], cap: int) -> tuple[str, tuple[Any, ...]]:
    """`capped_count`'s statement for `cases`, to run with others in one round trip."""
    sql, params = cases.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) AS capped", tuple(params)  # noqa: S608 (the ORM's SQL)


def queue_counts(*, filters: QueueFilters, cap: int = COUNT_CAP) -> dict[str, Any]:
    """The matching and the overdue cases, each counted up to `cap`, in one statement."""
    matching_sql, matching_params = _capped_sql(apply_filters(Case.objects.all(), filters), cap)
    overdue_sql, overdue_params = _capped_sql(
        apply_filters(Case.objects.all(), replace(filters, deadline="overdue")), cap
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({matching_sql}), ({overdue_sql})", (*matching_params, *overdue_params)
        )
        matching, overdue = cursor.fetchone()
    return {
        "matching": min(matching, cap),
        "matching_more": matching > cap,
        "overdue": min(overdue, cap),
        "overdue_more": overdue > cap,
    }


def category_choices() -> list[tuple[int, str]]:
    """
    The category filter's options, (id, name) in the categories' order: read on every queue
    page, so as two columns, not each category's every column as a model instance.
    """
    return list(Category.objects.values_list("pk", "name"))


def filters_for_moderator(*, user: User) -> QueueFilters:
    """
    The queue a moderator sees by default: their languages and categories, if they set any
    (read once per user instance, see moderation.selectors.routing).
    """
    from moderation.selectors.routing import moderator_routing

    routing = moderator_routing(user)
    if routing is None:
        return QueueFilters()
    languages, categories = routing
    return QueueFilters(languages=languages, categories=categories)
