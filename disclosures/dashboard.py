"""
The legal team's widgets on the dashboard (accounts.dashboard finds this module).

The legal officer sees what the clock is running on: emergencies and how long they have
left, deadlines within a day, the requests at the officer's step (to review, to release) and
the non-disclosure orders whose review is due. The approver sees the requests waiting for
their vote, never one they registered or whose scope they prepared (four eyes: the service
refuses that vote anyway). The auditor's unmask volume is read here, since audit may not
import disclosures. Each widget reads in a constant number of aggregate queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.dashboard import (
    TodoItem,
    Widget,
    register,
    register_phrases,
    time_left_text,
)
from disclosures import permissions
from disclosures.models import Approval, LegalRequest, PiiUnmask, Scope
from disclosures.selectors.nondisclosure import nondisclosure_reviews_due

if TYPE_CHECKING:
    from accounts.models import User

Status = LegalRequest.Status
DEADLINE_HORIZON = timedelta(hours=24)
UNMASK_WINDOW = timedelta(hours=24)
# The officer's step: register and review, then release once approved. Clarification waits
# on the authority, pending approval on the approvers.
AT_OFFICER_STEP = (Status.RECEIVED, Status.IN_REVIEW, Status.APPROVED)


@dataclass(frozen=True)
class LegalCounts:
    emergencies: int
    emergency_deadline: datetime | None  # the soonest emergency deadline
    due_soon: int  # deadline within DEADLINE_HORIZON, not yet passed
    overdue: int
    to_review: int
    to_release: int
    reviews_due: int


def legal_counts(*, now: datetime | None = None) -> LegalCounts:
    """One aggregate over the open requests, one count of the reviews due."""
    now = now or timezone.now()
    emergency = Q(emergency=True)
    counts = LegalRequest.objects.filter(status__in=LegalRequest.OPEN).aggregate(
        emergencies=Count("id", filter=emergency),
        emergency_deadline=Min("deadline_at", filter=emergency),
        due_soon=Count(
            "id", filter=Q(deadline_at__gte=now, deadline_at__lt=now + DEADLINE_HORIZON)
        ),
        overdue=Count("id", filter=Q(deadline_at__lt=now)),
        to_review=Count("id", filter=Q(status__in=(Status.RECEIVED, Status.IN_REVIEW))),
        to_release=Count("id", filter=Q(status=Status.APPROVED)),
    )
    return LegalCounts(
        emergencies=counts["emergencies"],
        emergency_deadline=counts["emergency_deadline"],
        due_soon=counts["due_soon"],
        overdue=counts["overdue"],
        to_review=counts["to_review"],
        to_release=counts["to_release"],
        reviews_due=nondisclosure_reviews_due(now=now, limit=1).total,
    )


def _list_url(status: str) -> str:
    return reverse("disclosures:home") + f"?status={status}"


def _legal_items(user: User) -> list[TodoItem]:
    now = timezone.now()
    counts = legal_counts(now=now)
    items = [
        TodoItem(
            key="emergencies",
            label=_("Emergency requests open"),
            count=counts.emergencies,
            url=_list_url("open"),
            detail=(
                gettext("soonest: %(left)s")
                % {"left": time_left_text(counts.emergency_deadline, now)}
                if counts.emergency_deadline
                else ""
            ),
            tone="danger" if counts.emergencies else "normal",
        ),
        TodoItem(
            key="deadlines-24h",
            label=_("Deadlines in the next 24 hours"),
            count=counts.due_soon,
            url=_list_url("open"),
            detail=(
                gettext("and %(n)d already overdue") % {"n": counts.overdue}
                if counts.overdue
                else ""
            ),
            tone="danger" if counts.overdue else ("warn" if counts.due_soon else "normal"),
        ),
        TodoItem(
            key="at-my-step",
            label=_("Requests waiting for you"),
            count=counts.to_review + (counts.to_release if permissions.can_release(user) else 0),
            url=_list_url("open"),
            detail=gettext("%(review)d to review, %(release)d approved to release")
            % {
                "review": counts.to_review,
                "release": counts.to_release if permissions.can_release(user) else 0,
            },
        ),
        TodoItem(
            key="reviews-due",
            label=_("Non-disclosure reviews due"),
            count=counts.reviews_due,
            url=reverse("disclosures:home") + "#reviews-due",
            tone="warn" if counts.reviews_due else "normal",
        ),
    ]
    return items


@dataclass(frozen=True)
class VoteCounts:
    waiting: int
    emergencies: int
    oldest_at: datetime | None  # when the oldest waiting scope was submitted
    only_id: int | None  # the one waiting request, to link to it directly


def waiting_for_vote(*, user: User) -> VoteCounts:
    """
    Requests pending approval that `user` may still vote on: not voted on the live scope,
    not registered by them, its live scope not prepared by them. One query.
    """
    live = Scope.objects.filter(request=OuterRef("pk"), voided_at__isnull=True).order_by("-id")
    my_votes = Approval.objects.filter(
        request=OuterRef("pk"),
        approver=user,
        voided_at__isnull=True,
        scope__voided_at__isnull=True,
    )
    counts = (
        LegalRequest.objects.filter(status=Status.PENDING_APPROVAL)
        .exclude(created_by=user)
        .annotate(
            prepared_by=Subquery(live.values("prepared_by_id")[:1]),
            submitted_at=Subquery(live.values("created_at")[:1]),
        )
        .filter(~Exists(my_votes), ~Q(prepared_by=user.pk))
        .aggregate(
            waiting=Count("id"),
            emergencies=Count("id", filter=Q(emergency=True)),
            oldest=Min("submitted_at"),
            first=Min("id"),
        )
    )
    return VoteCounts(
        waiting=counts["waiting"],
        emergencies=counts["emergencies"],
        oldest_at=counts["oldest"],
        only_id=counts["first"] if counts["waiting"] == 1 else None,
    )


def _approver_items(user: User) -> list[TodoItem]:
    counts = waiting_for_vote(user=user)
    url = (
        reverse("disclosures:request_review", args=[counts.only_id])
        if counts.only_id is not None
        else reverse("disclosures:approvals")
    )
    return [
        TodoItem(
            key="waiting-for-vote",
            label=_("Requests waiting for your vote"),
            count=counts.waiting,
            url=url,
            detail=(
                gettext("%(n)d emergency") % {"n": counts.emergencies} if counts.emergencies else ""
            ),
            age=timezone.now() - counts.oldest_at if counts.oldest_at else None,
            tone="danger" if counts.emergencies else ("warn" if counts.waiting else "normal"),
        )
    ]


@dataclass(frozen=True)
class UnmaskVolume:
    shown: int
    without_request: int
    refused: int
    users: int


def unmask_volume(*, now: datetime | None = None) -> UnmaskVolume:
    """Unmaskings in the last 24 hours: one aggregate query."""
    since = (now or timezone.now()) - UNMASK_WINDOW
    shown = Q(refused=False)
    counts = PiiUnmask.objects.filter(created_at__gte=since).aggregate(
        shown=Count("id", filter=shown),
        without_request=Count("id", filter=shown & Q(request__isnull=True)),
        refused=Count("id", filter=Q(refused=True)),
        users=Count("user", distinct=True),
    )
    return UnmaskVolume(**counts)


def _auditor_items(user: User) -> list[TodoItem]:
    volume = unmask_volume()
    return [
        TodoItem(
            key="unmask-volume",
            label=_("Unmaskings in the last 24 hours"),
            count=volume.shown,
            url=reverse("audit:integrity") + "#pii-unmask-oversight",
            detail=gettext(
                "%(without)d without a request, by %(users)d people; %(refused)d refused"
            )
            % {
                "without": volume.without_request,
                "users": volume.users,
                "refused": volume.refused,
            },
            tone="danger" if volume.refused else "normal",
        )
    ]


register(
    Widget(
        key="disclosures-legal",
        title=_("Legal requests"),
        order=300,
        permission="disclosures.prepare_requests",
        items=_legal_items,
    ),
    Widget(
        key="disclosures-approvals",
        title=_("Approvals"),
        order=310,
        permission="disclosures.approve_requests",
        items=_approver_items,
    ),
    Widget(
        key="disclosures-unmasking",
        title=_("Unmasking"),
        order=810,
        permission="audit.verify_audit_trail",
        items=_auditor_items,
    ),
)


# --- recent activity ------------------------------------------------------------------------


register_phrases(
    [
        ("approval.signed", _("approved")),
        ("approval.rejected", _("refused to approve")),
        ("request.received", _("registered")),
        ("request.acknowledged", _("acknowledged")),
        ("request.released", _("released")),
        ("request.sent_back", _("sent back")),
        ("request.nondisclosure_reviewed", _("reviewed the non-disclosure order of")),
        ("scope.proposed", _("submitted the scope of")),
        ("check.recorded", _("recorded a verification check on")),
        ("package.built", _("built a release package")),
        ("pii.viewed", _("viewed subscriber data")),
    ]
)
