"""Reads for the release tab, and the deadline view other screens (the request list) use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from disclosures import crypto
from disclosures.models import LegalRequest, ReleasePackage, UserNotice
from disclosures.services.deadlines import DeadlineState, deadline_state
from disclosures.services.notices import notice_key
from outbox.selectors import delivery_status_labels


@dataclass(frozen=True)
class NoticeRow:
    notice: UserNotice
    delivery_status: str  # the outbox's status label, "" when nothing was handed over yet


@dataclass(frozen=True)
class ReleasePage:
    request: LegalRequest
    packages: list[ReleasePackage]  # newest first
    latest: ReleasePackage | None
    released: ReleasePackage | None
    notices: list[NoticeRow]
    public_key: str


def release_page(*, request_id: int) -> ReleasePage:
    """Everything the release tab shows, in a fixed number of queries."""
    request = LegalRequest.objects.select_related("authority").get(pk=request_id)
    packages = list(
        ReleasePackage.objects.filter(request=request)
        .select_related("built_by", "released_by", "scope")
        .order_by("-pk")
    )
    notices = list(
        UserNotice.objects.filter(request=request).select_related("account").order_by("pk")
    )
    keys = {notice_key(request, n.account): n for n in notices}
    statuses = delivery_status_labels(keys)
    rows = [NoticeRow(notice=n, delivery_status=statuses.get(k, "")) for k, n in keys.items()]
    released = next((p for p in packages if p.released_at is not None), None)
    return ReleasePage(
        request=request,
        packages=packages,
        latest=packages[0] if packages else None,
        released=released,
        notices=rows,
        public_key=crypto.public_key_b64(),
    )


def open_requests_by_deadline() -> QuerySet[LegalRequest]:
    """Open requests, most urgent first: emergencies, then the nearest deadline."""
    return (
        LegalRequest.objects.filter(status__in=LegalRequest.OPEN)
        .select_related("authority")
        .order_by("-emergency", "deadline_at", "pk")
    )


def deadline_states(
    requests: list[LegalRequest], *, now: datetime | None = None
) -> dict[int, DeadlineState]:
    """The deadline state of each request, by id, for highlighting rows of a list."""
    now = now or timezone.now()
    return {r.pk: deadline_state(r, now=now) for r in requests}


def requests_at_risk(
    *, now: datetime | None = None, at_least: DeadlineState = "75"
) -> list[tuple[LegalRequest, DeadlineState]]:
    """Open requests at or past a threshold ("50", "75", "90" or "breached"), most urgent first."""
    order = ["ok", "50", "75", "90", "breached"]
    floor = order.index(at_least)
    now = now or timezone.now()
    found = []
    for request in open_requests_by_deadline():
        state = deadline_state(request, now=now)
        if order.index(state) >= floor:
            found.append((request, state))
    return found
