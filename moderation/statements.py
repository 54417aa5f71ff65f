"""Build the DSA statement of reasons owed for a decision (see moderation.dsa for the rules)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from moderation.dsa import EU_EEA_COUNTRIES, content_language

if TYPE_CHECKING:
    from moderation.models import Case, Decision, Report

_VISIBILITY = {
    "remove_content": "DECISION_VISIBILITY_CONTENT_REMOVED",
    # No "removed from search" value exists: OTHER, with the free text below (a full exclusion
    # is not a demotion; shared/reference/search-safety.md section 5).
    "remove_from_search": "DECISION_VISIBILITY_OTHER",
    "geo_restrict": "DECISION_VISIBILITY_CONTENT_DISABLED",
    "label": "DECISION_VISIBILITY_CONTENT_LABELLED",
    "age_restrict": "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
}
SEARCH_DELISTING_TEXT = (
    "Removed from search results: excluded from in-app global search and search suggestions; "
    "still reachable by direct link."
)
# What intake knows of the author (PlatformAccount.kind). A bot may be run by a trader or by a
# private person, and the field is optional: a kind not listed here leaves account_type out.
_ACCOUNT_TYPES = {
    "business": "ACCOUNT_TYPE_BUSINESS",
    "user": "ACCOUNT_TYPE_PRIVATE",
}
_CONTENT_TYPES = {
    "text": "CONTENT_TYPE_TEXT",
    "image": "CONTENT_TYPE_IMAGE",
    "video": "CONTENT_TYPE_VIDEO",
    "audio": "CONTENT_TYPE_AUDIO",
    "synthetic": "CONTENT_TYPE_SYNTHETIC_MEDIA",
}

# Personal data must not reach the Transparency Database: scrub what free text may carry.
_SCRUBBERS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"https?://\S+|t\.me/\S+"), "[link]"),
    (re.compile(r"(?<!\w)@\w{3,}"), "[account]"),
    (re.compile(r"\+?\d[\d\s().-]{7,}\d"), "[number]"),
]


def scrub_personal_data(text: str) -> str:
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


# The database's limit on decision_facts (moderation.dsa.validation).
FACTS_LIMIT = 5000
# Where reporter-supplied evidence was forwarded from, in the statement's words (the database
# takes English; these are not translated).
_FORWARDED_FROM = {
    "group": "a public group",
    "channel": "a public channel",
    "private": "a private chat",
    "private_group": "a private group",
    "private_channel": "a private channel",
    "secret": "an end-to-end encrypted secret chat",
}


def reporter_evidence_sentence(chat_kind: str) -> str:
    """What the facts add when the decision relied on evidence the reporter forwarded."""
    where = _FORWARDED_FROM.get(chat_kind, "a chat")
    from moderation.chat_kinds import is_private  # imports the models, which load later

    could = "could not" if is_private(chat_kind) else "did not"
    return (
        f"The content was forwarded by the reporter from {where}; the platform {could} "
        "observe it itself."
    )


def facts_with_provenance(facts: str, *, chat_kind: str, reporter_supplied: bool) -> str:
    """
    The moderator's facts, then (for reporter-supplied evidence) the provenance sentence;
    the facts are shortened, never the sentence, to fit the database's limit.
    """
    if not reporter_supplied:
        return facts[:FACTS_LIMIT]
    sentence = reporter_evidence_sentence(chat_kind)
    kept = facts[: FACTS_LIMIT - len(sentence) - 1].rstrip()
    return f"{kept} {sentence}" if kept else sentence


def _relied_on_reporter_evidence(case: Case, evidence: Report) -> bool:
    """The evidence report, or any report weighing in the case, came from the reporter."""
    reporter = "reporter"  # Report.Provenance.REPORTER (models load after this module)
    if evidence.evidence_provenance == reporter:
        return True
    return case.reports.filter(held="", evidence_provenance=reporter).exists()


# The database's date ranges (shared/reference/dsa-statement-of-reasons.md).
EARLIEST_CONTENT_DATE = date(2000, 1, 1)
EARLIEST_APPLICATION_DATE = date(2020, 1, 1)
LATEST_DATE = date(2038, 1, 1)


def _clamp(day: date, low: date) -> date:
    return min(max(day, low), LATEST_DATE)


def _source_type(case: Case) -> str:
    if case.has_trusted_flagger:
        return "SOURCE_TRUSTED_FLAGGER"
    if case.has_user_notice:
        return "SOURCE_ARTICLE_16"
    if case.has_authority:
        return "SOURCE_TYPE_OTHER_NOTIFICATION"
    return "SOURCE_VOLUNTARY"


def puid_for(decision: Decision) -> str:
    return f"tsd-{decision.uuid}"


def build_statement(
    *, decision: Decision, case: Case, evidence: Report, flagger_name: str = ""
) -> dict[str, Any]:
    """The statement in the database's JSON shape; None-valued fields are left out."""
    applied: datetime = decision.created_at
    application_date = _clamp(applied.date(), EARLIEST_APPLICATION_DATE)
    actions = set(decision.actions)
    sor: dict[str, Any] = {"puid": puid_for(decision)}

    visibility = [_VISIBILITY[a] for a in decision.actions if a in _VISIBILITY]
    if visibility:
        sor["decision_visibility"] = list(dict.fromkeys(visibility))
    if "remove_from_search" in actions:
        sor["decision_visibility_other"] = SEARCH_DELISTING_TEXT
    if "terminate_account" in actions:
        sor["decision_account"] = "DECISION_ACCOUNT_TERMINATED"
    elif "suspend_account" in actions:
        sor["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
        if decision.suspend_days:
            end = applied + timedelta(days=decision.suspend_days)
            sor["end_date_account_restriction"] = _clamp(end.date(), application_date).isoformat()
    if "restrict_account" in actions:
        sor["decision_provision"] = "DECISION_PROVISION_PARTIAL_SUSPENSION"
        if decision.restrict_days:
            end = applied + timedelta(days=decision.restrict_days)
            sor["end_date_service_restriction"] = _clamp(end.date(), application_date).isoformat()

    account_type = _ACCOUNT_TYPES.get(case.subject.author.kind)
    if account_type:
        sor["account_type"] = account_type

    explanation = scrub_personal_data(decision.explanation or decision.facts)[:2000]
    if decision.ground == "illegal":
        sor["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        sor["illegal_content_legal_ground"] = decision.legal_ground[:500]
        sor["illegal_content_explanation"] = explanation
    else:
        sor["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        sor["incompatible_content_ground"] = decision.terms_clause[:500]
        sor["incompatible_content_explanation"] = explanation
        sor["incompatible_content_illegal"] = "No"
        if settings.PLATFORM_TERMS_URL:
            sor["decision_ground_reference_url"] = settings.PLATFORM_TERMS_URL

    content_type = _CONTENT_TYPES.get(evidence.content_type)
    if content_type:
        sor["content_type"] = [content_type]
    else:
        sor["content_type"] = ["CONTENT_TYPE_OTHER"]
        sor["content_type_other"] = case.get_subject_type_display()[:500]

    sor["category"] = decision.dsa_category
    if decision.dsa_keywords:
        sor["category_specification"] = list(dict.fromkeys(decision.dsa_keywords))
    if "geo_restrict" in actions and decision.countries:
        sor["territorial_scope"] = [c for c in decision.countries if c in EU_EEA_COUNTRIES]
    else:
        sor["territorial_scope"] = list(EU_EEA_COUNTRIES)
    language = content_language(evidence.language)
    if language:
        sor["content_language"] = language
    # Content older than the database accepts takes its earliest date; content is never dated
    # after the decision (intake allows a few minutes of clock skew, and a report without a
    # posting time falls back to when it was reported).
    posted = evidence.posted_at or evidence.reported_at
    content_date = _clamp(posted.date(), EARLIEST_CONTENT_DATE)
    sor["content_date"] = min(content_date, application_date).isoformat()
    sor["application_date"] = application_date.isoformat()
    sor["decision_facts"] = facts_with_provenance(
        scrub_personal_data(decision.facts),
        chat_kind=case.subject.chat_kind,
        reporter_supplied=_relied_on_reporter_evidence(case, evidence),
    )
    sor["source_type"] = _source_type(case)
    if sor["source_type"] == "SOURCE_TRUSTED_FLAGGER" and flagger_name:
        sor["source_identity"] = flagger_name[:500]
    fully_automated = decision.origin == decision.Origin.AUTOMATED
    automated = decision.automated_detection or fully_automated
    sor["automated_detection"] = "Yes" if automated else "No"
    # The field describes the decision, not the detection: an automatic-action rule decided
    # alone (fully); a person who decided with an automated detection before them, partly.
    if fully_automated:
        sor["automated_decision"] = "AUTOMATED_DECISION_FULLY"
    elif automated:
        sor["automated_decision"] = "AUTOMATED_DECISION_PARTIALLY"
    else:
        sor["automated_decision"] = "AUTOMATED_DECISION_NOT_AUTOMATED"
    return sor
