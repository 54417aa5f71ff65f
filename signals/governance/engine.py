"""
Automatic actions: a live detector's signal at or above its category's threshold decides an
untouched case, as a real decision whose statement of reasons says it was fully automated.
Each one is logged (`AutomatedAction`), and a fixed share is sampled for a human to review.

Runs from the task published when signals are added, and from the relay (`automation_sweep`),
which walks signals beyond its cursor so a publish lost with the broker is made good. Both may
see the same case at once, and a moderator may claim it meanwhile: the case row is locked
and its status checked again, so a case is decided at most once, and never under a claim.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import User
from audit import services as audit
from audit.models import AuditEvent
from moderation.detectors import LIVE, detector_modes
from moderation.exceptions import InvalidDecision
from moderation.models import Case, CaseSignal, Decision
from moderation.services.decisions import (
    DecisionInput,
    case_resolve,
    decision_create,
    decision_from_defaults,
)
from signals.models import AutoActionRule, AutomatedAction, HashBank, MatchCursor

logger = logging.getLogger(__name__)

AUTOMATION_USERNAME = "automation"
SWEEP_CURSOR = "automation"  # a MatchCursor row; its `last_report_id` holds a CaseSignal id
SWEEP_BATCH = 500
# The sweep leaves the newest signals to the task published for them, and waits for slow
# transactions (ids are handed out before commit).
SWEEP_GRACE = timedelta(minutes=1)


def sampled_for_review(case_id: int, percent: int) -> bool:
    """
    Whether the automatic action on this case goes to human review: a stable hash of the case
    id, so every run (and every worker) draws the same sample, and a share of `percent`.
    """
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"automation-sample:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def automation_user() -> User:
    """
    The account automatic decisions are recorded under: inactive, no usable password, so
    nobody can sign in as it. Created on first use.
    """
    found = User.objects.filter(username=AUTOMATION_USERNAME).first()
    if found is not None:
        return found
    user = User(username=AUTOMATION_USERNAME, first_name="Automatic", last_name="action")
    user.is_active = False
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another worker created it first
        return User.objects.get(username=AUTOMATION_USERNAME)
    return user


@dataclass(frozen=True)
class Trigger:
    signal: CaseSignal
    rule: AutoActionRule


def _signals_for_category(case: Case) -> Q:
    """
    Which detectors speak to the case's category: a bank tied to it, its classifier, and a
    score the platform sent with a report of that category (the platform scores what it was
    asked about; a spam score on a report filed as harassment says nothing about harassment).
    """
    banks = HashBank.objects.filter(category_id=case.category_id).values_list("name", flat=True)
    return (
        Q(detector__in=[f"bank:{name}" for name in banks])
        | Q(detector=f"model:{case.category.code}")
        | Q(detector__startswith="platform:", report__category_id=case.category_id)
    )


def trigger_for(case: Case, rule: AutoActionRule) -> Trigger | None:
    """The best live signal of a detector for the case's category at or above the threshold."""
    candidates = list(
        CaseSignal.objects.filter(case=case, mode=LIVE, score__gte=rule.threshold)
        .filter(_signals_for_category(case))
        .order_by("-score", "id")
    )
    # Stored live, and still live now: a detector put in shadow since then does not act.
    modes = detector_modes({s.detector for s in candidates})
    for signal in candidates:
        if modes.get(signal.detector) == LIVE:
            return Trigger(signal=signal, rule=rule)
    return None


def _decision_for(case: Case, trigger: Trigger) -> DecisionInput:
    signal, rule = trigger.signal, trigger.rule
    return decision_from_defaults(
        case=case,
        actions=tuple(rule.actions),
        explanation=(
            f"Decided automatically: the detector {signal.detector} scored {signal.score}, "
            f"at or above the threshold of {rule.threshold} set for {case.category.name}."
        ),
    )


def case_auto_decide(*, case_id: int) -> AutomatedAction | None:
    """
    Decide one case automatically if it still qualifies; None when it does not (no enabled
    rule, no live signal high enough, or a person has it). Idempotent.
    """
    actor = automation_user()
    try:
        with transaction.atomic(durable=True):
            return _decide_locked(case_id=case_id, actor=actor)
    except InvalidDecision as exc:
        # The category's defaults cannot make a valid decision (a missing legal ground, a
        # statement the database would refuse): people decide it, as before the rule.
        logger.warning("Automatic action on case %s refused: %s", case_id, exc)
        return None


def _handled_by_a_person(case: Case) -> bool:
    """A case once claimed or escalated, then handed back: a person has judged it; it waits."""
    return (
        bool(case.escalation)
        or AuditEvent.objects.filter(
            target_type=Case._meta.label_lower,
            target_id=str(case.pk),
            action__in=("case.claimed", "case.escalated"),
        ).exists()
    )


def _decide_locked(*, case_id: int, actor: User) -> AutomatedAction | None:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    # Only a case nobody has touched: not claimed, escalated, sent to legal or resolved.
    if case is None or case.status != Case.Status.OPEN or case.claimed_by_id is not None:
        return None
    if _handled_by_a_person(case):
        return None
    case = Case.objects.select_related("category", "subject__author").get(pk=case_id)
    rule = AutoActionRule.objects.filter(category_id=case.category_id, enabled=True).first()
    if rule is None or not rule.actions:
        return None
    trigger = trigger_for(case, rule)
    if trigger is None:
        return None
    made = decision_create(
        case=case,
        actor=actor,
        decision=_decision_for(case, trigger),
        origin=Decision.Origin.AUTOMATED,
    )
    case_resolve(case=case, actor=actor, decision=made, automated=True)
    sampled = sampled_for_review(case.pk, rule.sample_percent)
    logged = AutomatedAction.objects.create(
        decision=made,
        case=case,
        rule=rule,
        detector=trigger.signal.detector,
        signal=trigger.signal,
        score=trigger.signal.score,
        threshold=rule.threshold,
        sampled=sampled,
    )
    audit.record(
        action="automation.decided",
        actor=actor,
        target=case,
        data={
            "decision": made.pk,
            "rule": rule.pk,
            "mode": LIVE,
            "detector": trigger.signal.detector,
            "signal": trigger.signal.pk,
            "score": trigger.signal.score,
            "threshold": rule.threshold,
            "actions": list(rule.actions),
            "sampled_for_qa": sampled,
        },
    )
    return logged


def auto_actions_consider(*, case_ids: Iterable[int]) -> int:
    """
    Weigh automatic actions on the cases (each in its own transaction, so one refusal spares
    the rest); returns how many were decided. Cheap for cases no rule concerns: one query.
    """
    candidates = list(
        Case.objects.filter(
            pk__in=list(case_ids),
            status=Case.Status.OPEN,
            category_id__in=AutoActionRule.objects.filter(enabled=True).values("category_id"),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(1 for case_id in candidates if case_auto_decide(case_id=case_id) is not None)


def automation_sweep(*, now: datetime, batch: int = SWEEP_BATCH) -> int:
    """
    The relay's share: weigh the cases of live signals beyond the cursor (older than
    SWEEP_GRACE), then move the cursor past them. Deciding is idempotent, so two sweeps
    overlapping, or a sweep and a task, cost work but never a second decision.
    """
    cursor, _created = MatchCursor.objects.get_or_create(name=SWEEP_CURSOR)
    rows = list(
        CaseSignal.objects.filter(pk__gt=cursor.last_report_id, created_at__lt=now - SWEEP_GRACE)
        .order_by("pk")
        .values_list("pk", "case_id", "mode")[:batch]
    )
    if not rows:
        return 0
    decided = auto_actions_consider(case_ids=sorted({c for _, c, mode in rows if mode == LIVE}))
    with transaction.atomic(durable=True):
        locked = MatchCursor.objects.select_for_update().get(pk=cursor.pk)
        if locked.last_report_id < rows[-1][0]:
            locked.last_report_id = rows[-1][0]
            locked.save(update_fields=["last_report_id", "updated_at"])
    return decided
