"""
Demo data of signals.classifier (called by signals.demo.seed_signals): enough labelled
synthetic decisions for the text model to learn something real, then a trained version per
category, then scores on the open reports.

Spam and scams/fraud get LABELLED_PER_CATEGORY generated texts each (signals.classifier.synthetic:
templates with variation, shared vocabulary and a tenth of the labels flipped), reported
through intake and decided by the demo moderators through the moderation services;
OPEN_PER_CATEGORY more stay open for the model to score. The evaluation pages say the model
was trained on synthetic demo decisions. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from moderation.models import Case, Category
from moderation.services import claims, decisions
from moderation.services.intake import ReportInput, SubjectInput, reports_ingest
from signals.classifier import synthetic
from signals.classifier.training import models_train
from signals.models import ModelVersion

LABELLED_PER_CATEGORY = 80
OPEN_PER_CATEGORY = 10
PREFIX = "demo-clf-"
SEED = 2026


def _items(code: str, now) -> list[tuple[ReportInput, bool]]:
    made = synthetic.examples(code, LABELLED_PER_CATEGORY + OPEN_PER_CATEGORY, seed=SEED)
    items = []
    for n, example in enumerate(made):
        posted = now - timedelta(hours=30 - n * 0.25)
        items.append(
            (
                ReportInput(
                    external_id=f"{PREFIX}{code}-{n:04d}",
                    category=code,
                    source="user",
                    reporter_id=f"u{300 + n % 60}",
                    description="Reported from the demo's synthetic texts.",
                    reported_at=posted + timedelta(minutes=5),
                    language="en",
                    subject=SubjectInput(
                        type="message",
                        platform_id=f"clf-{code}-{n}",
                        author_id=f"acct-clf-{code}-{n % 70}",
                        author_username=f"clf_{code}_{n % 70}",
                        chat_id=f"-1007{n % 9}",
                        chat_kind="group",
                        text=example.text,
                        posted_at=posted,
                    ),
                ),
                example.violation,
            )
        )
    return items


def _decide(case_id: int, *, violation: bool, actor: User) -> None:
    claims.case_claim(case_id=case_id, actor=actor)
    if violation:
        choice = decisions.decision_from_defaults(
            case=Case.objects.get(pk=case_id), actions=("remove_content",)
        )
    else:
        choice = decisions.DecisionInput(
            actions=("no_violation",), facts="Reviewed: within the rules."
        )
    decisions.case_decide(case_id=case_id, actor=actor, decision=choice)


def _seed_category(code: str, moderators: list[User], now) -> int:
    items = _items(code, now)
    result = reports_ingest(items=[item for item, _ in items], channel="demo")
    for n, (item, violation) in enumerate(items[:LABELLED_PER_CATEGORY]):
        if item.external_id not in result.created:
            continue  # decided on an earlier run
        case_id = result.case_ids[item.external_id]
        if Case.objects.filter(pk=case_id, status=Case.Status.OPEN).exists():
            _decide(case_id, violation=violation, actor=moderators[n % len(moderators)])
    return len(result.created)


def seed() -> int:
    """Create this package's demo data; returns how many reports were new."""
    moderators = list(
        User.objects.filter(username__in=["moderator", "moderator2"]).order_by("username")
    )
    codes = [c for c in synthetic.CATEGORIES if Category.objects.filter(code=c).exists()]
    if not moderators or not codes:
        return 0
    now = timezone.now()
    created = sum(_seed_category(code, moderators, now) for code in codes)
    # Trained once: a second seed must change nothing, though the later demos (floods,
    # near-duplicates, automation) have added decisions since (the schedule retrains then).
    trained = set(ModelVersion.objects.values_list("category_id", flat=True))
    for category in Category.objects.filter(code__in=codes).order_by("pk"):
        if category.pk not in trained:
            models_train(category_id=category.pk, actor=None)
    return created
