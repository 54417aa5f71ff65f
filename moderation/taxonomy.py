"""
The default report categories: severity, handling deadline and DSA mapping.

Administrators may edit them afterwards; `ensure_default_categories` only adds the codes
that are missing (after migrate, and after a test flush), never overwrites an edit.
"""

from __future__ import annotations

from typing import Any

TERMS = "Terms of Service §{n}"
CATEGORIES = [
    # code, name, severity, deadline hours, DSA category, keywords, illegal?, legal ground, clause, facts
    (
        "child_safety",
        "Child sexual abuse / child safety",
        5,
        2,
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL", "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"],
        True,
        "Directive 2011/93/EU art. 5; national criminal law on child sexual abuse material",
        TERMS.format(n="4.1 (child safety)"),
        "The content was reported as sexualising or endangering minors. Reviewed against the child "
        "safety policy; the material matches its definition of prohibited content.",
    ),
    (
        "terrorism",
        "Terrorism and violent extremism",
        5,
        1,
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        ["KEYWORD_TERRORIST_CONTENT"],
        True,
        "Regulation (EU) 2021/784 (terrorist content online); Directive (EU) 2017/541 art. 5",
        TERMS.format(n="4.2 (violent extremism)"),
        "The content glorifies, incites or provides instructions for terrorist offences, or promotes a "
        "designated terrorist organisation.",
    ),
    (
        "ncii",
        "Non-consensual intimate imagery",
        5,
        4,
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ["KEYWORD_NON_CONSENSUAL_IMAGE_SHARING"],
        True,
        "Directive (EU) 2024/1385 art. 5 (non-consensual sharing of intimate material)",
        TERMS.format(n="4.3 (intimate imagery)"),
        "Intimate imagery of a person was shared without their consent, as reported by the person "
        "depicted or on their behalf.",
    ),
    (
        "illegal_drugs",
        "Illegal drugs",
        4,
        24,
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        ["KEYWORD_PROHIBITED_PRODUCTS"],
        True,
        "Framework Decision 2004/757/JHA (illicit drug trafficking); national narcotics law",
        TERMS.format(n="5.1 (regulated goods)"),
        "The content offers controlled substances for sale or arranges their delivery.",
    ),
    (
        "weapons",
        "Weapons",
        4,
        24,
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        ["KEYWORD_PROHIBITED_PRODUCTS"],
        True,
        "Directive (EU) 2021/555 (control of firearms); national weapons law",
        TERMS.format(n="5.2 (weapons)"),
        "The content offers firearms, ammunition or explosives, or instructions to make them.",
    ),
    (
        "violence_threats",
        "Violence and threats",
        4,
        12,
        "STATEMENT_CATEGORY_VIOLENCE",
        ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
        False,
        "National criminal law on threats",
        TERMS.format(n="4.4 (violence)"),
        "The content threatens or incites violence against a person or group.",
    ),
    (
        "self_harm",
        "Self-harm",
        4,
        6,
        "STATEMENT_CATEGORY_SELF_HARM",
        ["KEYWORD_SUICIDE", "KEYWORD_SELF_MUTILATION"],
        False,
        "",
        TERMS.format(n="4.5 (self-harm)"),
        "The content promotes or gives instructions for suicide or self-harm.",
    ),
    (
        "doxxing",
        "Doxxing and privacy",
        4,
        24,
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        [],
        False,
        "Regulation (EU) 2016/679 art. 6 (no lawful basis for the publication)",
        TERMS.format(n="4.6 (private information)"),
        "The content publishes another person's private information (address, documents, contact "
        "details) without consent.",
    ),
    (
        "hate_speech",
        "Illegal hate speech",
        3,
        24,
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ["KEYWORD_HATE_SPEECH"],
        True,
        "Framework Decision 2008/913/JHA (racism and xenophobia); national criminal law",
        TERMS.format(n="4.7 (hate speech)"),
        "The content incites violence or hatred against people based on a protected characteristic.",
    ),
    (
        "scams_fraud",
        "Scams and fraud",
        3,
        48,
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        ["KEYWORD_PHISHING"],
        True,
        "Directive (EU) 2019/713 (fraud with non-cash means of payment)",
        TERMS.format(n="5.3 (fraud)"),
        "The content tries to obtain money or credentials by deception (phishing, fake investment, "
        "impersonation).",
    ),
    (
        "harassment",
        "Harassment",
        3,
        48,
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ["KEYWORD_CYBER_HARASSMENT"],
        False,
        "",
        TERMS.format(n="4.8 (harassment)"),
        "The content targets a person with repeated abuse, intimidation or humiliation.",
    ),
    (
        "intellectual_property",
        "Intellectual property",
        2,
        72,
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        ["KEYWORD_COPYRIGHT_INFRINGEMENT"],
        True,
        "Directive 2001/29/EC art. 3 (communication to the public)",
        TERMS.format(n="6.1 (intellectual property)"),
        "The rights holder reported the content as an unauthorised copy of a protected work.",
    ),
    (
        "other",
        "Other",
        2,
        72,
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        [],
        False,
        "",
        TERMS.format(n="7 (general rules)"),
        "The content breaks the platform's terms of service.",
    ),
    (
        "spam",
        "Spam",
        1,
        168,
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        [],
        False,
        "",
        TERMS.format(n="7.2 (spam)"),
        "The account sends unsolicited bulk or repetitive messages.",
    ),
]


def category_defaults(row: tuple) -> dict[str, Any]:
    _code, name, severity, hours, dsa, keywords, illegal, legal, clause, facts = row
    return {
        "name": name,
        "severity": severity,
        "deadline_hours": hours,
        "dsa_category": dsa,
        "dsa_keywords": keywords,
        "illegal_by_default": illegal,
        "legal_ground": legal,
        "terms_clause": clause,
        "facts_template": facts,
    }


def ensure_default_categories(category_model: Any) -> int:
    existing = set(category_model.objects.values_list("code", flat=True))
    missing = [
        category_model(code=row[0], sort_order=order, **category_defaults(row))
        for order, row in enumerate(CATEGORIES)
        if row[0] not in existing
    ]
    category_model.objects.bulk_create(missing)
    return len(missing)
