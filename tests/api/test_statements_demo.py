"""
Done-when of issue 13: the statements feed of the demo data, fetched in full, has no value
outside the EU Transparency Database's lists.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from moderation.dsa import (
    ACCOUNT_TYPES,
    AUTOMATED_DECISIONS,
    CONTENT_LANGUAGES,
    CONTENT_TYPES,
    DECISION_ACCOUNTS,
    DECISION_MONETARIES,
    DECISION_PROVISIONS,
    DECISION_VISIBILITIES,
    EU_EEA_COUNTRIES,
    GROUNDS,
    KEYWORDS,
    KNOWN_FIELDS,
    SOURCE_TYPES,
    STATEMENT_CATEGORIES,
    YES_NO,
    validate_statement,
)
from moderation.models import Decision, Statement
from tests.api.conftest import STATEMENTS_URL

pytestmark = pytest.mark.django_db

# Every enumerated field of a statement and the EU list its values come from.
SINGLE = {
    "decision_monetary": DECISION_MONETARIES,
    "decision_provision": DECISION_PROVISIONS,
    "decision_account": DECISION_ACCOUNTS,
    "account_type": ACCOUNT_TYPES,
    "decision_ground": GROUNDS,
    "incompatible_content_illegal": YES_NO,
    "category": STATEMENT_CATEGORIES,
    "content_language": CONTENT_LANGUAGES,
    "source_type": SOURCE_TYPES,
    "automated_detection": YES_NO,
    "automated_decision": AUTOMATED_DECISIONS,
}
MULTIPLE = {
    "decision_visibility": DECISION_VISIBILITIES,
    "content_type": CONTENT_TYPES,
    "category_addition": STATEMENT_CATEGORIES,
    "category_specification": KEYWORDS,
    "territorial_scope": frozenset(EU_EEA_COUNTRIES),
}


def values_outside_the_eu_lists(statement: dict[str, Any]) -> list[str]:
    outside = [f"{field}: not a field" for field in set(statement) - KNOWN_FIELDS]
    for field, allowed in SINGLE.items():
        if field in statement and statement[field] not in allowed:
            outside.append(f"{field}: {statement[field]!r}")
    for field, allowed in MULTIPLE.items():
        values = statement.get(field, [])
        outside += [f"{field}: {value!r}" for value in values if value not in allowed]
    return outside


@pytest.fixture
def demo(db) -> None:
    call_command("seed_demo", verbosity=0)


def whole_feed(api) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    statements: list[dict[str, Any]] = []
    standing: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        response = api.get(STATEMENTS_URL, {"cursor": cursor} if cursor else {})
        assert response.status_code == 200
        answer = response.json()
        statements += answer["statements"]
        standing |= answer["standing"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return statements, standing


def test_demo_statements_feed_has_no_value_outside_the_eu_lists(demo, api):
    """One test, as seeding the demo takes seconds: values first, then each standing."""
    statements, standing = whole_feed(api)

    assert len(statements) == Statement.objects.count() >= 30
    problems = {
        s["puid"]: validate_statement(s) + values_outside_the_eu_lists(s) for s in statements
    }
    assert {puid: found for puid, found in problems.items() if found} == {}
    assert all(s["content_date"] <= s["application_date"] for s in statements)
    # The demo exercises the languages, the account types and the appeal outcomes.
    assert len({s["content_language"] for s in statements if "content_language" in s}) >= 5
    assert {s.get("account_type") for s in statements} >= {
        "ACCOUNT_TYPE_PRIVATE",
        "ACCOUNT_TYPE_BUSINESS",
    }

    assert set(standing) == {s["puid"] for s in statements}
    assert {entry["status"] for entry in standing.values()} == set(Decision.Status.values)
    decided = Decision.objects.filter(statement__isnull=False).select_related("superseded_by")
    for decision in decided:
        entry = standing[f"tsd-{decision.uuid}"]
        assert entry["stands"] is (decision.status == Decision.Status.IN_FORCE)
        assert entry["status"] == decision.status
        replacement = getattr(decision, "superseded_by", None)
        assert entry["superseded_by"] == (f"tsd-{replacement.uuid}" if replacement else None)
    for puid, entry in standing.items():
        if entry["status"] == "superseded":
            assert standing[entry["superseded_by"]]["supersedes"] == puid
