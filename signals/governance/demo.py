"""
Demo data of signals.governance (called by signals.demo.seed_signals): detectors' modes, an
automatic-action rule for spam that decides a few demo cases, some of those reviewed, and
decisions on scored spam cases so the detectors page shows precision per band.

Does not depend on the classifier's demo: a "model:spam" detector is set live only if a
model version or a model signal exists.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from moderation.detectors import LIVE, SHADOW
from moderation.models import Case, CaseSignal, Category
from moderation.services import claims, decisions
from moderation.services.intake import ReportInput, SignalInput, SubjectInput, reports_ingest
from moderation.services.signals import detector_signals_remode
from signals.governance.engine import auto_actions_consider
from signals.governance.services import automated_action_review
from signals.models import AutoActionRule, AutomatedAction, Detector, HashBank, ModelVersion

PLATFORM_SPAM = "spam-classifier-v3"
SHADOW_PLATFORM = "hate_speech-classifier-v3"
PREFIX = "demo-automation-"
# (platform score, the demo moderator finds a violation): spread over the score bands.
DECIDED = [
    (99, True), (98, True), (97, True), (96, False), (93, True), (92, True), (91, False),
    (88, True), (85, False), (84, True), (76, True), (73, False), (64, False), (58, True),
    (40, False), (22, False),
]  # fmt: skip
AUTOMATIC = [99, 98, 97, 96, 95, 94, 93, 92]  # left open: the rule decides them


def _report(n: int, score: int) -> ReportInput:
    now = timezone.now()
    return ReportInput(
        external_id=f"{PREFIX}{n}",
        category="spam",
        source="user",
        reporter_id=f"demo-automation-reporter-{n}",
        description="Unsolicited advertising in the group.",
        reported_at=now - timedelta(minutes=30 + n),
        language="en",
        subject=SubjectInput(
            type="message",
            platform_id=f"demo-automation-msg-{n}",
            author_id=f"demo-automation-author-{n % 5}",
            author_username=f"promo_{n % 5}",
            chat_id="demo-automation-chat",
            chat_kind="group",
            text=f"Cheap followers, 1000 for 5 EUR, offer {n}! DM now.",
            posted_at=now - timedelta(hours=1, minutes=n),
        ),
        signals=(SignalInput(kind="classifier", name=PLATFORM_SPAM, label="spam", score=score),),
    )


def _set_mode(key: str, mode: str, actor: User | None) -> None:
    Detector.objects.update_or_create(
        key=key,
        defaults={
            "kind": key.partition(":")[0],
            "mode": mode,
            "changed_at": timezone.now(),
            "changed_by": actor,
        },
    )


def seed() -> int:
    """Create this package's demo data (idempotent); returns how many automatic actions exist."""
    users = {u.username: u for u in User.objects.filter(username__in=["moderator", "senior"])}
    senior, moderator = users.get("senior"), users.get("moderator")
    with transaction.atomic():
        for bank in HashBank.objects.order_by("name"):
            _set_mode(f"bank:{bank.name}", LIVE if bank.enabled else "off", senior)
        _set_mode(f"platform:{PLATFORM_SPAM}", LIVE, senior)
        _set_mode(f"platform:{SHADOW_PLATFORM}", SHADOW, senior)
        spam = Category.objects.get(code="spam")
        has_model = (
            ModelVersion.objects.filter(category=spam).exists()
            or CaseSignal.objects.filter(detector="model:spam").exists()
        )
        if has_model:
            _set_mode("model:spam", LIVE, senior)
    if has_model:
        # The classifier's demo scored the open cases while its detector was in shadow.
        detector_signals_remode(detector="model:spam", mode=LIVE)
    if moderator is None or senior is None:
        return 0
    items = [_report(n, score) for n, (score, _v) in enumerate(DECIDED)]
    items += [_report(100 + n, score) for n, score in enumerate(AUTOMATIC)]
    result = reports_ingest(items=items)
    for n, (_score, violation) in enumerate(DECIDED):
        case = Case.objects.get(pk=result.case_ids[f"{PREFIX}{n}"])
        if case.status != Case.Status.OPEN:
            continue
        claims.case_claim(case_id=case.pk, actor=moderator)
        choice = (
            decisions.decision_from_defaults(case=case, actions=("remove_content",))
            if violation
            else decisions.DecisionInput(actions=("no_violation",), facts="Reviewed: a real offer.")
        )
        decisions.case_decide(case_id=case.pk, actor=moderator, decision=choice)
    rule, _created = AutoActionRule.objects.get_or_create(category=spam)
    if not rule.enabled:
        AutoActionRule.objects.filter(pk=rule.pk).update(
            enabled=True,
            threshold=92,
            actions=["remove_content"],
            sample_percent=50,
            updated_at=timezone.now(),
            updated_by=senior,
        )
    auto_actions_consider(
        case_ids=[result.case_ids[f"{PREFIX}{100 + n}"] for n in range(len(AUTOMATIC))]
    )
    rng = random.Random(15)  # noqa: S311 - a repeatable demo, not a secret
    # Four reviews in all, whatever the sample holds: a second seeding reviews nothing more.
    reviewed = AutomatedAction.objects.filter(sampled=True).exclude(review="").count()
    waiting = AutomatedAction.objects.filter(sampled=True, review="").order_by("id")
    for action in waiting[: max(0, 4 - reviewed)]:
        agrees = rng.random() < 0.75
        automated_action_review(
            action_id=action.pk,
            verdict="agree" if agrees else "disagree",
            note="" if agrees else "A genuine small business post, not spam.",
            actor=moderator,
        )
    return AutomatedAction.objects.count()
