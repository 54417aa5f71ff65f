"""Labelled cases and trained models for the classifier tests (not a test module)."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.models import User
from moderation.models import Decision
from moderation.services.intake import reports_ingest
from signals.classifier import synthetic
from signals.classifier.synthetic import Example
from tests.moderation.factories import report_input


def labelled_cases(
    examples: Sequence[Example],
    *,
    moderator: User,
    category: str = "spam",
    origin: str = Decision.Origin.MODERATOR,
) -> list[int]:
    """
    One reported case per example, with a decision in force that labels it (violation or
    not), decided in the examples' order; returns the case ids. Decisions are written as
    rows: the classifier reads decision rows, and deciding through the service would make
    each test several seconds slower (test_training covers real decisions).
    """
    items = [report_input(category=category, subject__text=e.text) for e in examples]
    case_ids: list[int] = []
    for start in range(0, len(items), 400):
        result = reports_ingest(items=items[start : start + 400])
        case_ids += [result.case_ids[i.external_id] for i in items[start : start + 400]]
    for case_id, example in zip(case_ids, examples, strict=True):
        Decision.objects.create(
            case_id=case_id,
            moderator=moderator,
            origin=origin,
            actions=["remove_content"] if example.violation else ["no_violation"],
        )
    return case_ids


def spam(count: int, *, seed: int = 1, noise: float = 0.1) -> list[Example]:
    return synthetic.examples("spam", count, seed=seed, noise=noise)
