"""Builders for the governance tests: cases with platform scores, rules, automatic actions."""

from __future__ import annotations

from typing import Any

from moderation.models import Case, Category
from signals.models import AutoActionRule, Detector
from tests.moderation.factories import make_case

PLATFORM = "spam-score"
PLATFORM_KEY = f"platform:{PLATFORM}"


def scored_case(
    score: int, *, name: str = PLATFORM, category: str = "spam", **overrides: Any
) -> Case:
    """A new case whose one report came with the platform's score `score` for `name`."""
    return make_case(
        category=category,
        signals=[{"kind": "classifier", "name": name, "label": category, "score": score}],
        **overrides,
    )


def rule(
    category: str = "spam",
    *,
    enabled: bool = True,
    threshold: int = 90,
    actions: tuple[str, ...] = ("remove_content",),
    sample_percent: int = 0,
) -> AutoActionRule:
    found, _ = AutoActionRule.objects.update_or_create(
        category=Category.objects.get(code=category),
        defaults={
            "enabled": enabled,
            "threshold": threshold,
            "actions": list(actions),
            "sample_percent": sample_percent,
        },
    )
    return found


def set_mode(key: str, mode: str) -> Detector:
    kind = key.partition(":")[0]
    found, _ = Detector.objects.update_or_create(key=key, defaults={"kind": kind, "mode": mode})
    return found
