"""
DSA statements of reasons (Art. 17): the Transparency Database's vocabulary and the validator
that applies its API rules. The builder lives in moderation.statements.
"""

from moderation.dsa.validation import KNOWN_FIELDS, validate_statement
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
    content_language,
)

__all__ = [
    "ACCOUNT_TYPES",
    "AUTOMATED_DECISIONS",
    "CONTENT_LANGUAGES",
    "CONTENT_TYPES",
    "DECISION_ACCOUNTS",
    "DECISION_MONETARIES",
    "DECISION_PROVISIONS",
    "DECISION_VISIBILITIES",
    "EU_EEA_COUNTRIES",
    "GROUNDS",
    "KEYWORDS",
    "KNOWN_FIELDS",
    "SOURCE_TYPES",
    "STATEMENT_CATEGORIES",
    "YES_NO",
    "content_language",
    "validate_statement",
]
