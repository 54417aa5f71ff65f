"""
Demo data for the search policy: a few blocked terms (one confidential IWF-style code), a
manual delisting, one due for review, and a search-result report tagged by a term. Idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from moderation.models import Report
from search_policy import services
from search_policy.models import BlockedTerm, DelistedEntity
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
]
_QUERIES = [
    "C0NTR4B4ND",
    "where to buy w3apons",
    "counterf",
    "cheap flights rome",
    "cp4sale",
    "weather berlin",
]
_ENTITIES = [("channel", "demo-channel-fakepharma", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")]


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
                reason="Demo: returns illegal offers.",
            ),
        )
        made_terms += 1
    made_entities = 0
    for entity_type, platform_id, category in _ENTITIES:
        if DelistedEntity.objects.filter(platform_id=platform_id, removed_at__isnull=True).exists():
            continue
        services.entity_delist(
            actor=senior,
            data=services.EntityInput(
                entity_type=entity_type,
                platform_id=platform_id,
                category=category,
                reason="Demo: impersonates a pharmacy.",
                expires_at=timezone.now() + timedelta(days=30),
            ),
        )
        made_entities += 1
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
