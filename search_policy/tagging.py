"""
Search-result reports whose query hits a blocked term get a `blocked_term` signal, so the
queue can filter on them and the priority counts them.

Score 60: a blocked query says what the reporter searched for, which makes the result likely,
not certain, to be what the term is about (a hash match, 100, is proof of the media itself).
The signal's `name` is the term's id (`term:<id>`) and its label the term only when the term is
not confidential: moderators who see the queue do not all need to know licensed list terms.
"""

from __future__ import annotations

from moderation.models import CaseSignal, Report
from moderation.services.signals import SignalFound, case_signals_add_new
from search_policy import normalize
from search_policy.models import BlockedTerm

BLOCKED_TERM_SCORE = 60


def terms_matching(*, query: str, language: str = "") -> list[BlockedTerm]:
    """The active terms `query` hits, within each term's language scope."""
    hits = []
    for term in BlockedTerm.objects.filter(removed_at__isnull=True).order_by("pk"):
        if term.languages and language and language.lower()[:2] not in term.languages:
            continue
        if normalize.term_matches(term=term.term, match_type=term.match_type, query=query):
            hits.append(term)
    return hits


def reports_tag(*, report_ids: list[int]) -> int:
    reports = list(
        Report.objects.filter(pk__in=report_ids, case__isnull=False)
        .exclude(search_query="")
        .only("pk", "search_query", "language")
    )
    found: list[SignalFound] = []
    for report in reports:
        for term in terms_matching(query=report.search_query, language=report.language):
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
