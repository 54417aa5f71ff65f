"""Everything the case page shows, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from audit import selectors as audit_selectors
from audit.models import AuditEvent
from moderation import chat_kinds, media_storage
from moderation.exceptions import MediaUnavailable
from moderation.models import (
    AccountRestriction,
    Case,
    CaseSignal,
    Decision,
    Media,
    Report,
    Strike,
    Subject,
)
from moderation.models.decisions import Action
from moderation.provenance import ProvenanceBadge, provenance_badge
from outbox.models import Delivery
from outbox.selectors import deliveries_about

HISTORY_LIMIT = 20


@dataclass
class AuthorHistory:
    previous_cases: Sequence[Case]
    active_restrictions: list[AccountRestriction]
    strikes: int
    decisions_against: int


@dataclass
class CaseContext:
    case: Case
    reports: list[Report]
    evidence: Report | None
    signals: list[CaseSignal]
    history: AuthorHistory
    related_open: list[Case]
    decisions: list[Decision]
    deliveries: list[Delivery]
    timeline: list[AuditEvent]
    # The media rows the reports name, by SHA-256 (absent: the platform never sent the file).
    media: dict[str, Media] = field(default_factory=dict)

    @property
    def evidence_media(self) -> Media | None:
        return self.media.get(self.evidence.media_sha256) if self.evidence else None

    def _badge(self, report: Report) -> ProvenanceBadge:
        return provenance_badge(
            provenance=report.evidence_provenance, chat_kind=self.case.subject.chat_kind
        )

    @property
    def evidence_badge(self) -> ProvenanceBadge | None:
        return self._badge(self.evidence) if self.evidence else None

    @property
    def report_rows(self) -> list[tuple[Report, ProvenanceBadge]]:
        """Each report with its provenance badge (no query: the chat kind is the case's)."""
        return [(report, self._badge(report)) for report in self.reports]

    @property
    def impossible_actions(self) -> list[tuple[str, str]]:
        """(action label, why) of the actions the case's chat kind rules out."""
        impossible = chat_kinds.impossible_actions(self.case.subject.chat_kind)
        return [(str(Action(a).label), impossible[a]) for a in Action.values if a in impossible]


def case_for_page(*, case_id: int) -> Case:
    return Case.objects.select_related(
        "category", "subject__author", "subject__chat_owner", "claimed_by", "escalated_by"
    ).get(pk=case_id)


def author_history(*, case: Case) -> AuthorHistory:
    author = case.subject.author
    # The cases of the author's most recent subjects, newest first: a few rows read down the
    # subject index (author, -id), where ordering all their cases by id sorts (or scans the
    # case table backwards for) everything an author with 100k subjects was reported for.
    # The ids are read first, not as a subquery: with the subquery the planner may still walk
    # the case table backwards by subject until it meets the author's.
    recent = list(
        Subject.objects.filter(author=author)
        .order_by("-id")
        .values_list("id", flat=True)[: 2 * HISTORY_LIMIT]
    )
    previous = list(
        Case.objects.filter(subject_id__in=recent)
        .exclude(pk=case.pk)
        .select_related("category", "subject")
        .prefetch_related(
            Prefetch(
                "decisions", queryset=Decision.objects.order_by("-id"), to_attr="all_decisions"
            )
        )
        .order_by("-subject_id", "-id")[:HISTORY_LIMIT]
    )
    now = timezone.now()
    restrictions = list(
        AccountRestriction.objects.filter(
            account=author, lifted_at__isnull=True, starts_at__lte=now
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("-starts_at")
    )
    counts = Strike.objects.filter(account=author).aggregate(
        strikes=Count("id", filter=Q(voided_at__isnull=True)), total=Count("id")
    )
    return AuthorHistory(previous, restrictions, counts["strikes"], counts["total"])


def related_open_cases(*, case: Case) -> list[Case]:
    """
    Other active cases about the same account or the same chat, most urgent first.

    One query per side, each limited, merged here: an OR across the subject join defeats
    both indexes (a hash join and a sort of every case of the author or the chat). Each
    side is served by the subject's index then the active-case index, or for a prolific
    author or busy chat by walking the active cases by priority (case_active_priority).
    """
    active = Case.objects.filter(status__in=Case.ACTIVE).exclude(pk=case.pk)
    sides = [Q(subject__author_id=case.subject.author_id)]
    if case.subject.chat_id:
        sides.append(Q(subject__chat_id=case.subject.chat_id))
    found: dict[int, Case] = {}
    for side in sides:
        for related in (
            active.filter(side)
            .select_related("category", "subject")
            .order_by("-priority", "id")[:HISTORY_LIMIT]
        ):
            found.setdefault(related.pk, related)
    return sorted(found.values(), key=lambda c: (-c.priority, c.pk))[:HISTORY_LIMIT]


def case_timeline(*, case: Case) -> list[AuditEvent]:
    """The case's history is read from the audit trail, not kept twice."""
    return list(audit_selectors.events_for(case, limit=200))


def case_context(*, case_id: int) -> CaseContext:
    case = case_for_page(case_id=case_id)
    reports = list(
        Report.objects.filter(case=case).select_related("reporter", "category").order_by("id")
    )
    decisions = list(
        Decision.objects.filter(case=case).select_related("moderator", "statement").order_by("id")
    )
    return CaseContext(
        case=case,
        reports=reports,
        evidence=reports[-1] if reports else None,
        signals=list(CaseSignal.objects.filter(case=case).order_by("-score", "id")),
        history=author_history(case=case),
        related_open=related_open_cases(case=case),
        decisions=decisions,
        deliveries=deliveries_about(case),
        timeline=case_timeline(case=case),
        media=media_for_reports(reports),
    )


def legal_escalations(*, after: int | None = None, size: int = 50) -> list[Case]:
    """Cases moderators escalated to legal, newest first: evidence for the disclosure workflow."""
    cases = Case.objects.filter(escalation=Case.Escalation.LEGAL)
    if after:
        cases = cases.filter(pk__lt=after)
    return list(
        cases.select_related("category", "subject__author", "escalated_by").order_by("-id")[:size]
    )


def media_reveal_allowed(*, report: Report, revealed: Any) -> bool:
    return report.pk in set(revealed or ())


def visible_to_legal(*, case: Case) -> bool:
    """Legal staff see cases escalated to them and cases a legal request cites as evidence."""
    return case.escalation == Case.Escalation.LEGAL or case.legal_requests.exists()


# --- Reported media ---------------------------------------------------------------------------


def media_for_reports(reports: Iterable[Report]) -> dict[str, Media]:
    """The media rows the reports name, by SHA-256: one query for any number of reports."""
    hashes = {r.media_sha256 for r in reports if r.media_sha256}
    if not hashes:
        return {}
    return {m.sha256: m for m in Media.objects.filter(sha256__in=hashes).order_by("sha256")}


def media_for_report(*, report: Report) -> Media | None:
    return media_for_reports([report]).get(report.media_sha256)


def media_by_sha256(*, sha256: str) -> Media:
    """The media row; Media.DoesNotExist when those bytes never came."""
    return Media.objects.get(sha256=sha256)


def media_rendition(*, media: Media, revealed: bool) -> bytes:
    """
    The picture a browser may show: the `view` rendition after a recorded reveal, the
    blurred grey `guard` before, so the clear picture never reaches it unrecorded.
    MediaUnavailable for a video (no rendition) and for purged or missing files.
    """
    if media.purged_at is not None or media.kind != Media.Kind.IMAGE:
        raise MediaUnavailable
    try:
        return media_storage.media_read(media.sha256, "view" if revealed else "guard")
    except FileNotFoundError:
        raise MediaUnavailable from None
