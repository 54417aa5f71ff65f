"""
Demo data for the search policy: blocked terms in several languages (one confidential
IWF-style code), allowed terms, manual delistings of channels, a group and a bot, one delisting
made by a moderator's "remove from search results" decision, one term due for review, and
search-result reports tagged by a term. Idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from moderation.models import Case, Report
from moderation.services import claims, decisions
from search_policy import allowlist, services
from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity
from search_policy.tagging import reports_tag

_TERMS = [
    ("contraband", "exact", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "internal", False),
    (
        "buy weapons",
        "token",
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "internal",
        False,
    ),
    ("counterfeitpass", "prefix", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "lantern", False),
    ("cp4sale", "exact", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "iwf", True),
    (
        "waffen kaufen",
        "token",
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "internal",
        False,
    ),
    ("faux papiers", "token", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "internal", False),
    ("breast", "prefix", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "internal", False),
]
# Languages of the terms above that are searched in one language only.
_TERM_LANGUAGES = {"waffen kaufen": ("de",), "faux papiers": ("fr",)}
# Searches that must never be blocked, whatever a prefix term catches.
_ALLOWED = [
    ("breast cancer", "prefix", "Health information: screening and support."),
    ("breastfeeding", "prefix", "Health information for parents."),
]
_QUERIES = [
    "C0NTR4B4ND",
    "where to buy w3apons",
    "counterf",
    "cheap flights rome",
    "cp4sale",
    "weather berlin",
]
_ENTITIES = [
    (
        "channel",
        "demo-channel-fakepharma",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "Impersonates a pharmacy.",
    ),
    (
        "bot",
        "demo-bot-cardshop",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "Sells stolen card numbers.",
    ),
    (
        "group",
        "demo-group-pumpsignals",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "Pump-and-dump crypto scheme.",
    ),
    ("channel", "demo-channel-gorereel", "STATEMENT_CATEGORY_VIOLENCE", "Reposts attack footage."),
]


def seed() -> dict[str, int]:
    senior = User.objects.filter(username="senior").first()
    if senior is None:
        return {"terms": 0, "entities": 0, "tagged": 0}
    made_terms = 0
    for term, match_type, category, source, confidential in _TERMS:
        if BlockedTerm.objects.filter(term=term, removed_at__isnull=True).exists():
            continue
        services.term_add(
            actor=senior,
            data=services.TermInput(
                term=term,
                match_type=match_type,
                category=category,
                source=source,
                confidential=confidential,
                languages=_TERM_LANGUAGES.get(term, ()),
                reason="Demo: returns illegal offers.",
            ),
        )
        made_terms += 1
    made_entities = 0
    for entity_type, platform_id, category, why in _ENTITIES:
        if DelistedEntity.objects.filter(platform_id=platform_id, removed_at__isnull=True).exists():
            continue
        services.entity_delist(
            actor=senior,
            data=services.EntityInput(
                entity_type=entity_type,
                platform_id=platform_id,
                category=category,
                reason=f"Demo: {why}",
                expires_at=timezone.now() + timedelta(days=30),
            ),
        )
        made_entities += 1
    for term, match_type, why in _ALLOWED:
        if not AllowedTerm.objects.filter(term=term, removed_at__isnull=True).exists():
            allowlist.allowed_term_add(
                actor=senior,
                data=allowlist.AllowedTermInput(term=term, match_type=match_type, reason=why),
            )
    made_entities += _delist_by_decision()
    # One term overdue for review, so the review list shows something.
    BlockedTerm.objects.filter(term="contraband").update(
        review_at=timezone.localdate() - timedelta(days=1)
    )
    # Queries on the demo's search-result reports: most hit a term, two are ordinary searches.
    reports = list(
        Report.objects.filter(subject__type="search_result", case__isnull=False).order_by("pk")[
            : len(_QUERIES)
        ]
    )
    for report, query in zip(reports, _QUERIES, strict=False):
        if report.search_query != query:
            Report.objects.filter(pk=report.pk).update(search_query=query)
    tagged = reports_tag(report_ids=[r.pk for r in reports]) if reports else 0
    return {"terms": made_terms, "entities": made_entities, "tagged": tagged}


def _delist_by_decision() -> int:
    """A moderator decides an open channel case "remove from search results": the register
    gets the channel with a link to its case, as it would in daily work. Once only."""
    if DelistedEntity.objects.filter(case__isnull=False).exists():
        return 0
    moderator = User.objects.filter(username="moderator2").first()
    case = (
        Case.objects.filter(status=Case.Status.OPEN, subject_type="channel", category__code="spam")
        .order_by("pk")
        .first()
    )
    if moderator is None or case is None:
        return 0
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(
        case_id=case.pk,
        actor=moderator,
        decision=decisions.decision_from_defaults(
            case=case,
            actions=("remove_from_search",),
            explanation="Your channel no longer appears in search results: it floods them with spam.",
        ),
    )
    return 1
