"""
Where the periodic reviews of non-disclosure orders without an end date stand.

Such an order is reviewed every `NONDISCLOSURE_REVIEW_DAYS` days, counted from its last
review, or from the request's receipt when it was never reviewed. The review stays due after
the request is closed: the notice owed to the user is deferred for as long as the order
applies. The list is read through a partial index on that date (`request_ndo_review_due`),
which holds only orders without an end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from disclosures.models import LegalRequest


@dataclass(frozen=True)
class NondisclosureReview:
    """The review of one order without an end date: when it was last done and next due."""

    last_reviewed_at: datetime
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class ReviewDue:
    request: LegalRequest
    review: NondisclosureReview


@dataclass(frozen=True)
class ReviewsDue:
    rows: list[ReviewDue]
    total: int  # all the reviews due, even when `rows` was cut short

    @property
    def more(self) -> int:
        """How many reviews due are not in `rows`."""
        return self.total - len(self.rows)


def review_period() -> timedelta:
    return timedelta(days=settings.NONDISCLOSURE_REVIEW_DAYS)


def nondisclosure_review_state(
    legal_request: LegalRequest, *, now: datetime | None = None
) -> NondisclosureReview | None:
    """The review of the request's order, or None when it has none without an end date."""
    if not legal_request.has_indefinite_nondisclosure:
        return None
    now = now or timezone.now()
    last = legal_request.nondisclosure_reviewed_at or legal_request.received_at
    due = last + review_period()
    return NondisclosureReview(last_reviewed_at=last, due_at=due, overdue=due < now)


def _indefinite() -> QuerySet[LegalRequest]:
    """Requests whose order has no end date; the same condition as the partial index."""
    return LegalRequest.objects.filter(nondisclosure_expires_at__isnull=True).exclude(
        nondisclosure=LegalRequest.NonDisclosure.NONE
    )


def nondisclosure_reviews_due(
    *, now: datetime | None = None, limit: int | None = None
) -> ReviewsDue:
    """
    Open and closed requests whose order's review is overdue, the longest overdue first.

    One query. With `limit`, at most that many rows, and `total` still counts them all (a
    window count, computed before the limit applies).
    """
    now = now or timezone.now()
    requests = (
        _indefinite()
        .annotate(review_basis=Coalesce("nondisclosure_reviewed_at", "received_at"))
        .filter(review_basis__lt=now - review_period())
        .order_by("review_basis", "id")
    )
    if limit is None:
        found = list(requests)
        total = len(found)
    else:
        found = list(requests.annotate(due_total=Window(Count("id")))[:limit])
        total = found[0].due_total if found else 0  # type: ignore[attr-defined]
    rows = []
    for request in found:
        review = nondisclosure_review_state(request, now=now)
        assert review is not None
        rows.append(ReviewDue(request=request, review=review))
    return ReviewsDue(rows=rows, total=total)
