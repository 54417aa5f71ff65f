"""
Moderation's widgets on the dashboard (accounts.dashboard finds this module).

The moderator's work: the cases they hold, the queue in their languages and what in it is
overdue. The senior's: escalations, pending appeals and bulk jobs still running. Each widget
reads its counts with conditional aggregation, so it costs the same few queries at any size.
Message cases rolled up into their group's case are triaged there and never counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.dashboard import (
    TodoItem,
    Widget,
    register,
    register_phrases,
)
from moderation import permissions
from moderation.models import Appeal, BulkJob, Case, ModeratorProfile

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class ModeratorCounts:
    languages: tuple[str, ...]
    claimed: int
    claimed_only_id: int | None  # the one claimed case, to link to it directly
    queue: int
    oldest_open_at: datetime | None
    overdue: int
    overdue_open: int


def moderator_languages(*, user: User) -> tuple[str, ...]:
    languages = (
        ModeratorProfile.objects.filter(user=user).values_list("languages", flat=True).first()
    )
    return tuple(languages or ())


def moderator_counts(*, user: User, now: datetime | None = None) -> ModeratorCounts:
    """The moderator's cases in two queries: their languages, then one aggregate."""
    now = now or timezone.now()
    languages = moderator_languages(user=user)
    in_languages = Q(language__in=languages) if languages else Q()
    mine = Q(status=Case.Status.CLAIMED, claimed_by=user)
    waiting = Q(status=Case.Status.OPEN) & in_languages
    overdue = Q(deadline_at__lt=now) & in_languages
    counts = Case.objects.filter(status__in=Case.ACTIVE, rollup_parent__isnull=True).aggregate(
        claimed=Count("id", filter=mine),
        claimed_first=Min("id", filter=mine),
        queue=Count("id", filter=waiting),
        oldest=Min("created_at", filter=waiting),
        overdue=Count("id", filter=overdue),
        overdue_open=Count("id", filter=overdue & Q(status=Case.Status.OPEN)),
    )
    return ModeratorCounts(
        languages=languages,
        claimed=counts["claimed"],
        claimed_only_id=counts["claimed_first"] if counts["claimed"] == 1 else None,
        queue=counts["queue"],
        oldest_open_at=counts["oldest"],
        overdue=counts["overdue"],
        overdue_open=counts["overdue_open"],
    )


def _queue_url(**params: str) -> str:
    return reverse("moderation:home") + "?" + urlencode({k: v for k, v in params.items() if v})


def _moderator_items(user: User) -> list[TodoItem]:
    now = timezone.now()
    counts = moderator_counts(user=user, now=now)
    language = ", ".join(counts.languages)
    if counts.claimed_only_id is not None:
        claimed_url = reverse("moderation:case", args=[counts.claimed_only_id])
    else:
        claimed_url = _queue_url(status=Case.Status.CLAIMED)
    where = (
        gettext("in %(languages)s") % {"languages": language}
        if language
        else gettext("in every language")
    )
    return [
        TodoItem(
            key="my-claimed",
            label=_("Cases you hold"),
            count=counts.claimed,
            url=claimed_url,
        ),
        TodoItem(
            key="my-queue",
            label=_("Open cases in your queue"),
            count=counts.queue,
            url=_queue_url(status=Case.Status.OPEN, language=language, order="age"),
            detail=where,
            age=now - counts.oldest_open_at if counts.oldest_open_at else None,
        ),
        TodoItem(
            key="overdue",
            label=_("Overdue cases"),
            count=counts.overdue,
            url=_queue_url(status=Case.Status.OPEN, language=language, deadline="overdue"),
            detail=(
                gettext("%(open)d still unclaimed, %(where)s")
                % {"open": counts.overdue_open, "where": where}
            ),
            tone="danger" if counts.overdue else "normal",
        ),
    ]


@dataclass(frozen=True)
class SeniorCounts:
    escalated: int
    escalated_overdue: int
    appeals: int
    oldest_appeal_at: datetime | None
    bulk_running: int


def senior_counts(*, now: datetime | None = None) -> SeniorCounts:
    """Escalations, pending appeals and unfinished bulk jobs: three aggregate queries."""
    now = now or timezone.now()
    escalated = Case.objects.filter(
        status=Case.Status.ESCALATED, rollup_parent__isnull=True
    ).aggregate(n=Count("id"), overdue=Count("id", filter=Q(deadline_at__lt=now)))
    appeals = Appeal.objects.filter(status=Appeal.Status.PENDING).aggregate(
        n=Count("id"), oldest=Min("received_at")
    )
    bulk = BulkJob.objects.exclude(status=BulkJob.Status.FINISHED).count()
    return SeniorCounts(
        escalated=escalated["n"],
        escalated_overdue=escalated["overdue"],
        appeals=appeals["n"],
        oldest_appeal_at=appeals["oldest"],
        bulk_running=bulk,
    )


def _senior_items(user: User) -> list[TodoItem]:
    now = timezone.now()
    counts = senior_counts(now=now)
    items = [
        TodoItem(
            key="escalations",
            label=_("Escalations waiting"),
            count=counts.escalated,
            url=_queue_url(status=Case.Status.ESCALATED),
            detail=(
                gettext("%(n)d overdue") % {"n": counts.escalated_overdue}
                if counts.escalated_overdue
                else ""
            ),
            tone="warn" if counts.escalated_overdue else "normal",
        )
    ]
    if permissions.can_decide_appeals(user):
        items.append(
            TodoItem(
                key="appeals",
                label=_("Pending appeals"),
                count=counts.appeals,
                url=reverse("moderation:appeals") + "?status=pending",
                age=now - counts.oldest_appeal_at if counts.oldest_appeal_at else None,
            )
        )
    if permissions.can_bulk_decide(user):
        items.append(
            TodoItem(
                key="bulk-running",
                label=_("Bulk jobs still running"),
                count=counts.bulk_running,
                url=reverse("moderation:bulk_jobs"),
            )
        )
    return items


register(
    Widget(
        key="moderation",
        title=_("Your cases"),
        order=100,
        permission="moderation.triage_cases",
        items=_moderator_items,
    ),
    Widget(
        key="moderation-senior",
        title=_("Senior moderation"),
        order=110,
        permission="moderation.handle_escalations",
        items=_senior_items,
    ),
)


# --- recent activity ------------------------------------------------------------------------


register_phrases(
    [
        ("case.claimed", _("claimed")),
        ("case.decided", _("decided")),
        ("case.escalated", _("escalated")),
        ("case.released", _("released to the queue")),
        ("case.note_added", _("added a note to")),
        ("appeal.decided", _("decided")),
        ("bulk.started", _("started")),
        ("media.viewed", _("viewed the original media of")),
        ("media.revealed", _("revealed the evidence media of")),
        ("reporter.muted", _("muted a reporter")),
        ("reporter.unmuted", _("unmuted a reporter")),
    ]
)
