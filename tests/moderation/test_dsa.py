"""Statements of reasons against the DSA Transparency Database rules."""

from __future__ import annotations

import itertools

import pytest

from moderation.dsa import EU_EEA_COUNTRIES, validate_statement
from moderation.models import Category, Statement
from moderation.services import claims, decisions
from moderation.statements import scrub_personal_data
from tests.moderation.factories import make_case, violation

VALID = {
    "puid": "tsd-123e4567-e89b-12d3-a456-426614174000",
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Terms §7.2",
    "incompatible_content_explanation": "Spam.",
    "content_type": ["CONTENT_TYPE_TEXT"],
    "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "territorial_scope": ["FR", "DE"],
    "content_date": "2026-11-01",
    "application_date": "2026-11-02",
    "decision_facts": "Unsolicited bulk messages.",
    "source_type": "SOURCE_ARTICLE_16",
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
}


def test_a_complete_statement_is_valid():
    assert validate_statement(VALID) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decision_visibility": None}, "decision_visibility"),
        ({"decision_visibility": ["DECISION_VISIBILITY_NOPE"]}, "decision_visibility"),
        ({"decision_visibility": ["DECISION_VISIBILITY_OTHER"]}, "decision_visibility_other"),
        ({"decision_monetary": "DECISION_MONETARY_OTHER"}, "decision_monetary_other"),
        ({"decision_ground": None}, "decision_ground"),
        ({"incompatible_content_ground": ""}, "incompatible_content_ground"),
        ({"illegal_content_legal_ground": "law"}, "illegal_content_legal_ground"),
        ({"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}, "illegal_content_legal_ground"),
        ({"incompatible_content_illegal": "Maybe"}, "incompatible_content_illegal"),
        ({"content_type": []}, "content_type"),
        ({"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other"),
        ({"category": "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"}, "category"),
        ({"category_specification": ["KEYWORD_NOPE"]}, "category_specification"),
        ({"territorial_scope": ["US"]}, "territorial_scope"),
        ({"territorial_scope": ["EL"]}, "territorial_scope"),  # Greece is GR
        ({"content_language": "en"}, "content_language"),
        ({"content_language": "XX"}, "content_language"),  # private use
        ({"content_language": "ZZ"}, "content_language"),
        ({"content_language": "IW"}, "content_language"),  # deprecated: Hebrew is HE
        ({"content_language": "IN"}, "content_language"),  # deprecated: Indonesian is ID
        ({"content_language": "JI"}, "content_language"),  # deprecated: Yiddish is YI
        ({"content_language": "ENG"}, "content_language"),
        ({"content_language": ["EN"]}, "content_language"),
        ({"content_date": "2026-11-03"}, "content_date"),  # after the application date
        ({"content_date": "1999-12-31"}, "content_date"),
        ({"content_date": "2026-02-30"}, "content_date"),
        ({"application_date": "2019-12-31"}, "application_date"),
        ({"end_date_account_restriction": "2026-11-01"}, "end_date_account_restriction"),
        ({"end_date_account_restriction": "2038-01-02"}, "end_date_account_restriction"),
        ({"decision_facts": ""}, "decision_facts"),
        ({"decision_facts": "x" * 5001}, "decision_facts"),
        ({"incompatible_content_explanation": "x" * 2001}, "incompatible_content_explanation"),
        ({"source_type": "SOURCE_VOLUNTARY", "source_identity": "someone"}, "source_identity"),
        ({"automated_detection": "yes"}, "automated_detection"),
        ({"automated_decision": None}, "automated_decision"),
        ({"puid": "has spaces"}, "puid"),
        ({"puid": "x" * 501}, "puid"),
        ({"decision_ground_reference_url": "not a url"}, "decision_ground_reference_url"),
        ({"reporter_name": "Jane"}, "reporter_name"),
    ],
)
def test_each_rule_is_enforced(change, field):
    statement = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    errors = validate_statement(statement)
    assert any(e.startswith(f"{field}:") for e in errors), errors


@pytest.mark.parametrize("language", ["EN", "HE", "ID", "YI", "NB", "ZU", "GA", "MT"])
def test_listed_languages_are_valid(language):
    assert validate_statement({**VALID, "content_language": language}) == []


def test_content_posted_the_day_the_decision_applies_is_valid():
    assert validate_statement({**VALID, "content_date": VALID["application_date"]}) == []


def test_one_restriction_of_another_kind_is_enough():
    statement = {k: v for k, v in VALID.items() if k != "decision_visibility"}
    statement["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
    assert validate_statement(statement) == []


ACTION_SETS = [
    ("remove_content",),
    ("remove_from_search",),
    ("geo_restrict",),
    ("label", "age_restrict"),
    ("restrict_account",),
    ("remove_content", "suspend_account"),
    ("terminate_account",),
]


@pytest.mark.django_db
def test_every_generated_statement_passes_the_rules(moderator):
    """All categories × action sets × both grounds: each stored statement is valid."""
    categories = list(Category.objects.order_by("code"))
    combos = list(itertools.product(categories, ACTION_SETS, ["terms", "illegal"]))
    for i, (category, actions, ground) in enumerate(combos):
        case = make_case(
            category=category.code,
            source=["user", "trusted_flagger", "authority", "automated"][i % 4],
            flagger_name="Flagger org" if i % 4 == 1 else "",
            subject__content_type=["text", "image", "video", "other"][i % 4],
            subject__type=["message", "channel", "account", "bot"][i % 4],
            language=["en", "fa", "", "pt"][i % 4],
        )
        claims.case_claim(case_id=case.pk, actor=moderator)
        defaults = decisions.decision_defaults(case=case)
        decisions.case_decide(
            case_id=case.pk,
            actor=moderator,
            decision=violation(
                actions=actions,
                ground=ground,
                legal_ground=defaults["legal_ground"] or "National law",
                terms_clause=defaults["terms_clause"],
                dsa_category=defaults["dsa_category"],
                dsa_keywords=tuple(defaults["dsa_keywords"]),
                facts=defaults["facts"] + " Contact me at someone@example.org or @handle.",
                countries=("FR", "DE") if "geo_restrict" in actions else (),
                restrict_days=14 if "restrict_account" in actions else None,
                suspend_days=30 if "suspend_account" in actions else None,
            ),
        )
    statements = list(Statement.objects.all())
    assert len(statements) == len(combos)
    for statement in statements:
        assert validate_statement(statement.payload) == [], statement.payload
        assert "someone@example.org" not in statement.payload["decision_facts"]
        assert set(statement.payload["territorial_scope"]) <= set(EU_EEA_COUNTRIES)
    puids = [s.puid for s in statements]
    assert len(set(puids)) == len(puids)


def test_scrub_removes_contact_details_and_handles():
    text = "Call +44 20 7946 0958, mail a.b@example.com, see https://x.example/y or @someone."
    scrubbed = scrub_personal_data(text)
    for secret in ("7946", "a.b@example.com", "https://x.example/y", "@someone"):
        assert secret not in scrubbed
