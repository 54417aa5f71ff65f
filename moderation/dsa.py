"""
DSA statements of reasons (Art. 17): the Transparency Database's vocabulary, the
validator that applies its API rules, and the builder that turns a decision into one.

Source of the rules: shared/reference/dsa-statement-of-reasons.md (the database's
StatementStoreRequest validator and Statement model enums).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

DECISION_VISIBILITIES = frozenset(
    {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "DECISION_VISIBILITY_OTHER",
    }
)
DECISION_MONETARIES = frozenset(
    {
        "DECISION_MONETARY_SUSPENSION",
        "DECISION_MONETARY_TERMINATION",
        "DECISION_MONETARY_OTHER",
    }
)
DECISION_PROVISIONS = frozenset(
    {
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    }
)
DECISION_ACCOUNTS = frozenset(
    {
        "DECISION_ACCOUNT_SUSPENDED",
        "DECISION_ACCOUNT_TERMINATED",
    }
)
CONTENT_TYPES = frozenset(
    {
        "CONTENT_TYPE_APP",
        "CONTENT_TYPE_AUDIO",
        "CONTENT_TYPE_IMAGE",
        "CONTENT_TYPE_PRODUCT",
        "CONTENT_TYPE_SYNTHETIC_MEDIA",
        "CONTENT_TYPE_TEXT",
        "CONTENT_TYPE_VIDEO",
        "CONTENT_TYPE_OTHER",
    }
)
SOURCE_TYPES = frozenset(
    {
        "SOURCE_ARTICLE_16",
        "SOURCE_TRUSTED_FLAGGER",
        "SOURCE_TYPE_OTHER_NOTIFICATION",
        "SOURCE_VOLUNTARY",
    }
)
STATEMENT_CATEGORIES = frozenset(
    {
        "STATEMENT_CATEGORY_ANIMAL_WELFARE",
        "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "STATEMENT_CATEGORY_SELF_HARM",
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "STATEMENT_CATEGORY_VIOLENCE",
    }
)
KEYWORDS = frozenset(
    {
        "KEYWORD_ADULT_SEXUAL_MATERIAL",
        "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
        "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
        "KEYWORD_ANIMAL_HARM",
        "KEYWORD_BIOMETRIC_DATA_BREACH",
        "KEYWORD_BULLYING_AGAINST_GIRLS",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
        "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS",
        "KEYWORD_COORDINATED_HARM",
        "KEYWORD_COPYRIGHT_INFRINGEMENT",
        "KEYWORD_CYBER_BULLYING_INTIMIDATION",
        "KEYWORD_CYBER_HARASSMENT",
        "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN",
        "KEYWORD_CYBER_INCITEMENT",
        "KEYWORD_CYBER_STALKING",
        "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
        "KEYWORD_DATA_FALSIFICATION",
        "KEYWORD_DEFAMATION",
        "KEYWORD_DESIGN_INFRINGEMENT",
        "KEYWORD_DISCRIMINATION",
        "KEYWORD_FEMALE_GENDERED_DISINFORMATION",
        "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
        "KEYWORD_GEOGRAPHICAL_REQUIREMENTS",
        "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
        "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
        "KEYWORD_HATE_SPEECH",
        "KEYWORD_HIDDEN_ADVERTISEMENT",
        "KEYWORD_HUMAN_EXPLOITATION",
        "KEYWORD_HUMAN_TRAFFICKING",
        "KEYWORD_ILLEGAL_ORGANIZATIONS",
        "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
        "KEYWORD_INAUTHENTIC_ACCOUNTS",
        "KEYWORD_INAUTHENTIC_LISTINGS",
        "KEYWORD_INAUTHENTIC_USER_REVIEWS",
        "KEYWORD_INCITEMENT_AGAINST_WOMEN",
        "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
        "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
        "KEYWORD_LANGUAGE_REQUIREMENTS",
        "KEYWORD_MISINFORMATION_DISINFORMATION",
        "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS",
        "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
        "KEYWORD_MISSING_PROCESSING_GROUND",
        "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
        "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
        "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
        "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
        "KEYWORD_NONCOMPLIANCE_PRICING",
        "KEYWORD_NUDITY",
        "KEYWORD_PATENT_INFRINGEMENT",
        "KEYWORD_PHISHING",
        "KEYWORD_PROHIBITED_PRODUCTS",
        "KEYWORD_PYRAMID_SCHEMES",
        "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
        "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
        "KEYWORD_RISK_PUBLIC_HEALTH",
        "KEYWORD_SELF_MUTILATION",
        "KEYWORD_STALKING",
        "KEYWORD_SUICIDE",
        "KEYWORD_TERRORIST_CONTENT",
        "KEYWORD_TRADE_SECRET_INFRINGEMENT",
        "KEYWORD_TRADEMARK_INFRINGEMENT",
        "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
        "KEYWORD_UNLAWFUL_SALE_ANIMALS",
        "KEYWORD_UNSAFE_CHALLENGES",
        "KEYWORD_UNSAFE_PRODUCTS",
        "KEYWORD_VIOLATION_EU_LAW",
        "KEYWORD_VIOLATION_NATIONAL_LAW",
        "KEYWORD_OTHER",
    }
)

EU_EEA_COUNTRIES = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]
AUTOMATED_DECISIONS = frozenset(
    {"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"}
)
GROUNDS = frozenset({"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"})
ACCOUNT_TYPES = frozenset({"ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"})
YES_NO = frozenset({"Yes", "No"})

_PUID = re.compile(r"^[a-zA-Z0-9\-_]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE = re.compile(r"^[A-Z]{2}$")
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
        not isinstance(language, str) or not _LANGUAGE.match(language)
    ):
        err("content_language", "must be an upper-case ISO 639-1 code")

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

    dated("content_date", date(2000, 1, 1), required=True)
    applied = dated("application_date", date(2020, 1, 1), required=True)
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
