"""Reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Model, Q, QuerySet

from audit.models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class EventFilters:
    actor: str = ""
    action: str = ""  # exact, or a prefix when it ends with "*" (e.g. "auth.*")
    target_type: str = ""
    target_id: str = ""
    # (type, id) pairs a reference named (audit.targets.find): events about any of them.
    targets: tuple[tuple[str, str], ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.actor:
            events = events.filter(actor_username=self.actor)
        if self.action.endswith("*"):
            events = events.filter(action__startswith=self.action[:-1])
        elif self.action:
            events = events.filter(action=self.action)
        if self.target_type:
            events = events.filter(target_type=self.target_type)
        if self.target_id:
            events = events.filter(target_id=self.target_id)
        if self.targets:
            named = Q()
            for target_type, target_id in self.targets:
                named |= Q(target_type=target_type, target_id=target_id)
            events = events.filter(named)
        if self.since:
            events = events.filter(occurred_at__gte=self.since)
        if self.until:
            events = events.filter(occurred_at__lt=self.until)
        return events


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_after: int | None  # keyset cursor for the next (older) page, None on the last page


def event_page(*, filters: EventFilters, after: int | None, size: int | None = None) -> EventPage:
    """
    One page of events, newest first, keyset-paginated on the id.

    `after` is the last id of the previous page, so a deep page costs what the first one
    costs (an index range scan), where OFFSET would read and discard every earlier row.
    """
    size = size or settings.AUDIT_PAGE_SIZE
    events = filters.apply(AuditEvent.objects.all())
    if after is not None:
        events = events.filter(id__lt=after)
    rows = list(events.select_related(None).order_by("-id")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return EventPage(events=rows, next_after=rows[-1].pk if has_more and rows else None)


def event_detail(*, event_id: int) -> AuditEvent:
    return AuditEvent.objects.get(pk=event_id)


def recent_events_by_actor(*, actor: User, limit: int = 10) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=actor).order_by("-id")[:limit])


def events_for(
    target: Model | None = None,
    *,
    target_type: str = "",
    target_id: str | int = "",
    actions: Iterable[str] | None = None,
    limit: int | None = None,
) -> QuerySet[AuditEvent]:
    """
    A target's events, oldest first: the timeline of a case, a request, a bulk job.

    Timelines are read from the one trail, not kept twice (house style, rule 4). Pass the
    target, or its `target_type` (`app_label.modelname`) and id when only the id is at
    hand, so that naming it costs no query. `actions` narrows to those codes; `limit`
    keeps the first n events. The result is a queryset, so a caller can still ask
    `.exists()` or `.last()` in one query.
    """
    if target is not None:
        target_type, target_id = target._meta.label_lower, target.pk
    if not target_type or target_id in ("", None):
        raise ValueError("events_for needs a target, or its target_type and target_id")
    events = AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id))
    if actions is not None:
        codes = [actions] if isinstance(actions, str) else list(actions)
        events = events.filter(action__in=codes)
    events = events.order_by("id")
    return events[:limit] if limit is not None else events
