"""
The validator that applies the Transparency Database API's rules to a statement of reasons.

Source of the rules: shared/reference/dsa-statement-of-reasons.md (StatementStoreRequest).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from moderation.dsa.vocabulary import (
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
    SOURCE_TYPES,
    STATEMENT_CATEGORIES,
    YES_NO,
)

_PUID = re.compile(r"^[a-zA-Z0-9\-_]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL = re.compile(r"^https?://[^\s]+$")

KNOWN_FIELDS = frozenset(
    {
        "decision_visibility",
        "decision_visibility_other",
        "decision_monetary",
        "decision_monetary_other",
        "decision_provision",
        "decision_account",
        "account_type",
        "decision_ground",
        "decision_ground_reference_url",
        "illegal_content_legal_ground",
        "illegal_content_explanation",
        "incompatible_content_ground",
        "incompatible_content_explanation",
        "incompatible_content_illegal",
        "content_type",
        "content_type_other",
        "category",
        "category_addition",
        "category_specification",
        "category_specification_other",
        "territorial_scope",
        "content_language",
        "content_date",
        "application_date",
        "end_date_visibility_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_account_restriction",
        "decision_facts",
        "source_type",
        "source_identity",
        "automated_detection",
        "automated_decision",
        "puid",
        "content_id",
    }
)
END_DATES = (
    "end_date_visibility_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_account_restriction",
)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def validate_statement(sor: dict[str, Any]) -> list[str]:
    """Every way `sor` breaks the Transparency Database's rules; empty when it is valid."""
    errors: list[str] = []

    def err(field: str, message: str) -> None:
        errors.append(f"{field}: {message}")

    def text(field: str, limit: int, *, required: bool) -> None:
        value = sor.get(field)
        if value in (None, ""):
            if required:
                err(field, "is required")
            return
        if not isinstance(value, str):
            err(field, "must be a string")
        elif len(value) > limit:
            err(field, f"must be at most {limit} characters")

    def absent(field: str, why: str) -> None:
        if sor.get(field) not in (None, "", []):
            err(field, f"must be absent {why}")

    def one_of(field: str, allowed: frozenset[str], *, required: bool) -> None:
        value = sor.get(field)
        if value in (None, ""):
            if required:
                err(field, "is required")
        elif value not in allowed:
            err(field, f"{value!r} is not an allowed value")

    def list_of(field: str, allowed: frozenset[str] | set[str], *, required: bool) -> list:
        value = sor.get(field)
        if value in (None, []):
            if required:
                err(field, "is required")
            return []
        if not isinstance(value, list):
            err(field, "must be an array")
            return []
        for item in value:
            if item not in allowed:
                err(field, f"{item!r} is not an allowed value")
        if len(set(value)) != len(value):
            err(field, "has duplicates")
        return value

    for field in sorted(set(sor) - KNOWN_FIELDS):
        err(field, "is not a field of a statement of reasons")

    # At least one of the four restriction kinds.
    restrictions = (
        "decision_visibility",
        "decision_monetary",
        "decision_provision",
        "decision_account",
    )
    if all(sor.get(f) in (None, "", []) for f in restrictions):
        err("decision_visibility", "at least one of the four decision_* fields is required")
    visibility = list_of("decision_visibility", DECISION_VISIBILITIES, required=False)
    if "DECISION_VISIBILITY_OTHER" in visibility:
        text("decision_visibility_other", 500, required=True)
    else:
        absent("decision_visibility_other", "unless DECISION_VISIBILITY_OTHER is chosen")
    one_of("decision_monetary", DECISION_MONETARIES, required=False)
    if sor.get("decision_monetary") == "DECISION_MONETARY_OTHER":
        text("decision_monetary_other", 500, required=True)
    else:
        absent("decision_monetary_other", "unless DECISION_MONETARY_OTHER is chosen")
    one_of("decision_provision", DECISION_PROVISIONS, required=False)
    one_of("decision_account", DECISION_ACCOUNTS, required=False)
    one_of("account_type", ACCOUNT_TYPES, required=False)

    one_of("decision_ground", GROUNDS, required=True)
    ref = sor.get("decision_ground_reference_url")
    if ref not in (None, "") and (
        not isinstance(ref, str) or not _URL.match(ref) or len(ref) > 500
    ):
        err("decision_ground_reference_url", "must be a URL of at most 500 characters")
    if sor.get("decision_ground") == "DECISION_GROUND_ILLEGAL_CONTENT":
        text("illegal_content_legal_ground", 500, required=True)
        text("illegal_content_explanation", 2000, required=True)
        for field in (
            "incompatible_content_ground",
            "incompatible_content_explanation",
            "incompatible_content_illegal",
        ):
            absent(field, "when the ground is illegal content")
    elif sor.get("decision_ground") == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        text("incompatible_content_ground", 500, required=True)
        text("incompatible_content_explanation", 2000, required=True)
        one_of("incompatible_content_illegal", YES_NO, required=False)
        for field in ("illegal_content_legal_ground", "illegal_content_explanation"):
            absent(field, "when the ground is incompatible content")

    content_types = list_of("content_type", CONTENT_TYPES, required=True)
    if "CONTENT_TYPE_OTHER" in content_types:
        text("content_type_other", 500, required=True)
    else:
        absent("content_type_other", "unless CONTENT_TYPE_OTHER is chosen")

    one_of("category", STATEMENT_CATEGORIES, required=True)
    list_of("category_addition", STATEMENT_CATEGORIES, required=False)
    list_of("category_specification", KEYWORDS, required=False)
    text("category_specification_other", 500, required=False)
    list_of("territorial_scope", set(EU_EEA_COUNTRIES), required=True)

    language = sor.get("content_language")
    if language not in (None, "") and (
        not isinstance(language, str) or language not in CONTENT_LANGUAGES
    ):
        err(
            "content_language",
            f"{language!r} is not in the database's language list (upper-case ISO 639-1)",
        )

    def dated(field: str, low: date, *, required: bool) -> date | None:
        raw = sor.get(field)
        if raw in (None, ""):
            if required:
                err(field, "is required")
            return None
        parsed = _parse_date(raw)
        if parsed is None:
            err(field, "must be a date YYYY-MM-DD")
        elif not low <= parsed <= date(2038, 1, 1):
            err(field, f"must be between {low} and 2038-01-01")
        return parsed

    posted = dated("content_date", date(2000, 1, 1), required=True)
    applied = dated("application_date", date(2020, 1, 1), required=True)
    # Not a rule the database states, but content cannot be restricted before it was posted.
    if posted and applied and posted > applied:
        err("content_date", "must not be after the application date")
    for field in END_DATES:
        end = dated(field, date(2000, 1, 1), required=False)
        if end and applied and end < applied:
            err(field, "must not be before the application date")

    text("decision_facts", 5000, required=True)
    one_of("source_type", SOURCE_TYPES, required=True)
    if sor.get("source_type") == "SOURCE_VOLUNTARY":
        absent("source_identity", "for own-initiative decisions")
    else:
        text("source_identity", 500, required=False)
    one_of("automated_detection", YES_NO, required=True)
    one_of("automated_decision", AUTOMATED_DECISIONS, required=True)

    puid = sor.get("puid")
    if not puid:
        err("puid", "is required")
    elif not isinstance(puid, str) or len(puid) > 500 or not _PUID.match(puid):
        err("puid", "must match ^[a-zA-Z0-9-_]+$ and be at most 500 characters")
    return errors
