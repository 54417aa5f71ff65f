"""
Reads of legal requests: the deadline-ordered list, one request's overview, and the
moderation evidence that links a request to a terms violation.

The list shows open requests first, soonest deadline first, then the finished ones, most
recent deadline first. The two halves sort in opposite directions, so a page is read as
up to two range scans over the (status, deadline) index: what is left of the open half
after the cursor, then the finished half. The query count never depends on the number of
rows, and page 100 costs what page 1 costs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from disclosures.masking import mask_phone
from disclosures.models import LegalRequest, RequestTarget
from moderation.models import Case, Category, Decision
from moderation.models.decisions import Action

PAGE_SIZE = 25
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

OPEN_RANK, FINISHED_RANK = 0, 1


@dataclass(frozen=True)
class RequestFilters:
    status: str = ""  # "" (all), "open", "finished" or one LegalRequest.Status value
    instrument: str = ""
    country: str = ""


@dataclass(frozen=True)
class RequestCursor:
    """Where the previous page ended: which half, the last deadline and id."""

    rank: int
    deadline_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.deadline_at - _EPOCH) // timedelta(microseconds=1)
        return f"{self.rank}_{micros}_{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> RequestCursor | None:
        try:
            rank, micros, ident = (raw or "").split("_")
            cursor = cls(
                rank=int(rank),
                deadline_at=_EPOCH + timedelta(microseconds=int(micros)),
                id=int(ident),
            )
        except (ValueError, OverflowError):
            return None
        return cursor if cursor.rank in (OPEN_RANK, FINISHED_RANK) else None

    @classmethod
    def after(cls, request: LegalRequest) -> RequestCursor:
        rank = OPEN_RANK if request.is_open else FINISHED_RANK
        return cls(rank=rank, deadline_at=request.deadline_at, id=request.pk)


@dataclass
class RequestPage:
    requests: list[LegalRequest]
    next_cursor: str | None


def _filtered(filters: RequestFilters) -> QuerySet[LegalRequest]:
    requests = LegalRequest.objects.all()
    if filters.status == "open":
        requests = requests.filter(status__in=LegalRequest.OPEN)
    elif filters.status == "finished":
        requests = requests.exclude(status__in=LegalRequest.OPEN)
    elif filters.status:
        requests = requests.filter(status=filters.status)
    if filters.instrument:
        requests = requests.filter(instrument=filters.instrument)
    if filters.country:
        requests = requests.filter(authority__country=filters.country.upper())
    return requests


def _with_row_data(requests: QuerySet[LegalRequest]) -> QuerySet[LegalRequest]:
    return requests.select_related("authority").annotate(
        target_count=Count("targets"),
        resolved_count=Count(
            "targets", filter=Q(targets__resolution=RequestTarget.Resolution.UNIQUE)
        ),
    )


def request_list_page(
    *, filters: RequestFilters, cursor: RequestCursor | None = None, size: int = PAGE_SIZE
) -> RequestPage:
    """One page of the request list: open requests by deadline, then finished ones."""
    requests = _filtered(filters)
    rows: list[LegalRequest] = []
    if cursor is None or cursor.rank == OPEN_RANK:
        open_half = requests.filter(status__in=LegalRequest.OPEN)
        if cursor is not None:
            open_half = open_half.filter(
                Q(deadline_at__gt=cursor.deadline_at)
                | Q(deadline_at=cursor.deadline_at, id__gt=cursor.id)
            )
        rows = list(_with_row_data(open_half).order_by("deadline_at", "id")[: size + 1])
    if len(rows) <= size:
        finished_half = requests.exclude(status__in=LegalRequest.OPEN)
        if cursor is not None and cursor.rank == FINISHED_RANK:
            finished_half = finished_half.filter(
                Q(deadline_at__lt=cursor.deadline_at)
                | Q(deadline_at=cursor.deadline_at, id__lt=cursor.id)
            )
        rows += list(
            _with_row_data(finished_half).order_by("-deadline_at", "-id")[: size + 1 - len(rows)]
        )
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = RequestCursor.after(rows[-1]).encode() if more and rows else None
    return RequestPage(requests=rows, next_cursor=next_cursor)


def request_summary(*, filters: RequestFilters) -> dict[str, int]:
    """Open, emergency and overdue counts for the list's header (one query)."""
    now = timezone.now()
    open_requests = Q(status__in=LegalRequest.OPEN)
    return _filtered(filters).aggregate(
        open=Count("id", filter=open_requests),
        emergencies=Count("id", filter=open_requests & Q(emergency=True)),
        overdue=Count("id", filter=open_requests & Q(deadline_at__lt=now)),
        unacknowledged=Count("id", filter=open_requests & Q(acknowledged_at__isnull=True)),
    )


# --- Moderation evidence -----------------------------------------------------------------


def cases_showing_violation(*, case_ids: Iterable[int], account_ids: Iterable[int]) -> set[int]:
    """
    Which of these cases show a terms violation by one of these accounts.

    A case qualifies when its subject's author is one of the accounts and either a decision
    in force found a violation, or moderators escalated it to legal and no decision in force
    cleared it ("no violation"). Reads moderation's tables, never writes them.
    """
    case_ids, account_ids = list(case_ids), list(account_ids)
    if not case_ids or not account_ids:
        return set()
    about_targets = dict(
        Case.objects.filter(pk__in=case_ids, subject__author_id__in=account_ids).values_list(
            "pk", "escalation"
        )
    )
    if not about_targets:
        return set()
    verdicts: dict[int, set[bool]] = defaultdict(set)
    for case_id, actions in Decision.objects.filter(
        case_id__in=list(about_targets), status=Decision.Status.IN_FORCE
    ).values_list("case_id", "actions"):
        verdicts[case_id].add(Action.NO_VIOLATION not in (actions or []))
    qualifying = set()
    for case_id, escalation in about_targets.items():
        found = verdicts.get(case_id, set())
        if True in found or (escalation == Case.Escalation.LEGAL and False not in found):
            qualifying.add(case_id)
    return qualifying


# --- One request -------------------------------------------------------------------------


@dataclass
class LinkedCase:
    case: Case
    about_target: bool
    shows_violation: bool


@dataclass
class RequestOverview:
    request: LegalRequest
    targets: list[RequestTarget]
    cases: list[LinkedCase]
    policy_covers: bool
    offence_name: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_violation_evidence(self) -> bool:
        return any(c.shows_violation for c in self.cases)


def target_display(target: RequestTarget) -> str:
    """The identifier as the page may show it: phone numbers stay masked."""
    if target.kind == RequestTarget.Kind.PHONE:
        return mask_phone(target.value)
    if target.kind == RequestTarget.Kind.USERNAME:
        return f"@{target.value}"
    return target.value


def request_overview(*, request_id: int) -> RequestOverview:
    """Everything the overview tab shows; raises LegalRequest.DoesNotExist."""
    request = LegalRequest.objects.select_related("authority", "policy", "created_by").get(
        pk=request_id
    )
    targets = list(
        RequestTarget.objects.filter(request=request).select_related("account").order_by("id")
    )
    for target in targets:
        target.display_value = target_display(target)  # type: ignore[attr-defined]
    accounts = {t.account_id for t in targets if t.resolution == RequestTarget.Resolution.UNIQUE}
    cases = list(request.linked_cases.select_related("category", "subject__author").order_by("id"))
    qualifying = cases_showing_violation(case_ids=[c.pk for c in cases], account_ids=accounts)
    counts: dict[str, Any] = defaultdict(int)
    for target in targets:
        counts[target.resolution] += 1
    return RequestOverview(
        request=request,
        targets=targets,
        cases=[
            LinkedCase(
                case=c,
                about_target=c.subject.author_id in accounts,
                shows_violation=c.pk in qualifying,
            )
            for c in cases
        ],
        policy_covers=request.policy.covers(request.offence_category),
        offence_name=Category.objects.filter(code=request.offence_category)
        .values_list("name", flat=True)
        .first()
        or "",
        counts=dict(counts),
    )
