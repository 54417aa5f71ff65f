"""The two policy versions the platform has had (Privacy Policy §8.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

POLICIES = [
    {
        "version": 1,
        "effective_from": datetime(2018, 1, 1, tzinfo=UTC),
        "any_criminal_offence": False,
        "offence_categories": ["terrorism"],
        "summary": (
            "If the platform receives a court order that confirms a user is a terror suspect, "
            "it may disclose the user's IP address and phone number."
        ),
    },
    {
        "version": 2,
        "effective_from": datetime(2024, 9, 23, tzinfo=UTC),
        "any_criminal_offence": True,
        "offence_categories": [],
        "summary": (
            "On a valid order from the relevant judicial authorities confirming that a user is a "
            "suspect in a case involving criminal activities that violate the Terms of Service, "
            "the platform performs a legal analysis and may disclose the IP address and phone "
            "number."
        ),
    },
]


def ensure_default_policies(policy_model: Any) -> int:
    existing = set(policy_model.objects.values_list("version", flat=True))
    missing = [policy_model(**p) for p in POLICIES if p["version"] not in existing]
    policy_model.objects.bulk_create(missing)
    return len(missing)
