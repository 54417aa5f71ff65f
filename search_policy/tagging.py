"""
Search-result reports whose query hits a blocked term get a `blocked_term` signal, so the
queue can filter on them and the priority counts them.

Score 60: a blocked query says what the reporter searched for, which makes the result likely,
not certain, to be what the term is about (a hash match, 100, is proof of the media itself).
The signal's `name` is the term's id (`term:<id>`) and its label the term only when the term is
not confidential: moderators who see the queue do not all need to know licensed list terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from moderation.models import CaseSignal, Report
from moderation.services.signals import SignalFound, case_signals_add_new
from search_policy import normalize
from search_policy.models import AllowedTerm, BlockedTerm, TagCursor

BLOCKED_TERM_SCORE = 60
CURSOR_NAME = "reports"
CURSOR_BATCH = 500
# Younger reports are left to their own task: ids are taken before commit, so a smaller id
# can commit after a larger one, and the cursor must not pass it by.
CURSOR_GRACE = timedelta(minutes=1)


def _in_scope(languages: list[str], language: str) -> bool:
    return not languages or not language or normalize.language_code(language) in languages


def _hits(entry: BlockedTerm | AllowedTerm, *, query: str, language: str) -> bool:
    return _in_scope(entry.languages, language) and normalize.term_matches(
        term=entry.term,
        match_type=entry.match_type,
        query=query,
        language=language,
        term_languages=entry.languages,
    )


@dataclass(frozen=True)
class ActivePolicy:
    """The active blocked and allowed terms, read once for a batch of queries."""

    terms: list[BlockedTerm]
    allowed: list[AllowedTerm]

    @classmethod
    def load(cls) -> ActivePolicy:
        return cls(
            terms=list(BlockedTerm.objects.filter(removed_at__isnull=True).order_by("pk")),
            allowed=list(AllowedTerm.objects.filter(removed_at__isnull=True).order_by("pk")),
        )


def terms_matching(
    *, query: str, language: str = "", policy: ActivePolicy | None = None
) -> list[BlockedTerm]:
    """
    The active terms `query` hits, within each term's language scope; none when an allowed
    term covers the query (the platform applies allowed terms first, too).
    """
    policy = policy or ActivePolicy.load()
    hits = [t for t in policy.terms if _hits(t, query=query, language=language)]
    if hits and any(_hits(a, query=query, language=language) for a in policy.allowed):
        return []
    return hits


def reports_tag(*, report_ids: list[int]) -> int:
    """Tag the reports whose query hits a blocked term (signals not stored yet); how many."""
    if not report_ids:
        return 0
    reports = list(
        Report.objects.filter(pk__in=report_ids, case__isnull=False)
        .exclude(search_query="")
        .only("pk", "search_query", "language")
    )
    found: list[SignalFound] = []
    policy = ActivePolicy.load() if reports else None
    for report in reports:
        for term in terms_matching(
            query=report.search_query, language=report.language, policy=policy
        ):
            found.append(
                SignalFound(
                    report_id=report.pk,
                    kind=CaseSignal.Kind.BLOCKED_TERM,
                    name=f"term:{term.pk}",
                    label=term.label(reveal=False),
                    score=BLOCKED_TERM_SCORE,
                    details={"term": term.pk, "match_type": term.match_type},
                    detector=f"search_term:{term.pk}",
                )
            )
    if not found:
        return 0
    made = case_signals_add_new(
        found=found,
        action="search_policy.report_tagged",
        kind=CaseSignal.Kind.BLOCKED_TERM,
        identity=("report_id", "name"),
    )
    return len(made)


def cursor_tag(*, now: datetime, batch: int = CURSOR_BATCH) -> int:
    """
    The relay's share: tag up to `batch` reports beyond the cursor (older than the grace),
    then move the cursor past them; returns the signals added. Tagging adds only what is not
    stored yet, so a report its own task tagged already gains nothing. The cursor row is
    locked, so two relays never walk the same batch.
    """
    with transaction.atomic(durable=True):
        TagCursor.objects.get_or_create(name=CURSOR_NAME)
        cursor = TagCursor.objects.select_for_update().get(name=CURSOR_NAME)
        rows = list(
            Report.objects.filter(pk__gt=cursor.last_report_id, received_at__lt=now - CURSOR_GRACE)
            .order_by("pk")
            .values_list("pk", "search_query")[:batch]
        )
        if not rows:
            return 0
        added = reports_tag(report_ids=[pk for pk, query in rows if query])
        cursor.last_report_id = rows[-1][0]
        cursor.save(update_fields=["last_report_id", "updated_at"])
    return added
