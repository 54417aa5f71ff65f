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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from core.keyset import KeysetCursor
from disclosures.masking import mask_phone
from disclosures.models import LegalRequest, RequestTarget
from disclosures.selectors.violations import TargetLink, target_links
from moderation.models import Case, Category
from moderation.selectors.evidence import holds_for_accounts

PAGE_SIZE = 25

OPEN_RANK, FINISHED_RANK = 0, 1


@dataclass(frozen=True)
class RequestFilters:
    status: str = ""  # "" (all), "open", "finished" or one LegalRequest.Status value
    instrument: str = ""
    country: str = ""


@dataclass(frozen=True)
class RequestCursor(KeysetCursor):
    """Where the previous page ended: which half, the last deadline and id."""

    rank: int
    deadline_at: datetime
    id: int

    def is_valid(self) -> bool:
        return self.rank in (OPEN_RANK, FINISHED_RANK)

    @classmethod
    def after(cls, legal_request: LegalRequest) -> RequestCursor:
        rank = OPEN_RANK if legal_request.is_open else FINISHED_RANK
        return cls(rank=rank, deadline_at=legal_request.deadline_at, id=legal_request.pk)


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
    links: list[TargetLink] = field(default_factory=list)
    offence_name: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_violation_evidence(self) -> bool:
        """Every resolved target has a link of its own (decided or pending)."""
        return bool(self.links) and all(t.state != "missing" for t in self.links)


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
    accounts = {t.account_id for t in targets if t.resolution == RequestTarget.Resolution.UNIQUE}
    holds = holds_for_accounts(a for a in accounts if a is not None)
    for target in targets:
        target.display_value = target_display(target)  # type: ignore[attr-defined]
        # The legal holds keeping the target account's moderation evidence from the purge.
        held = holds.get(target.account_id, []) if target.account_id else []
        target.evidence_holds = held  # type: ignore[attr-defined]
    cases = list(request.linked_cases.select_related("category", "subject__author").order_by("id"))
    links = target_links(request)
    qualifying = {case for link in links for case in link.link.cases}
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
        links=links,
        offence_name=Category.objects.filter(code=request.offence_category)
        .values_list("name", flat=True)
        .first()
        or "",
        counts=dict(counts),
    )
