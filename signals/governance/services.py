"""
Writes of governed automation besides modes (`modes.py`) and the engine (`engine.py`): the
automatic-action rule of a category, and a human's review of a sampled automatic action.
Each runs in its own transaction and records its audit event there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import reauth
from audit import services as audit
from moderation.models import Category
from moderation.models.decisions import Action
from signals.governance import permissions
from signals.governance.exceptions import (
    AlreadyReviewed,
    GovernanceInputInvalid,
    NotAllowed,
    StepUpRequired,
)
from signals.models import AutoActionRule, AutomatedAction

if TYPE_CHECKING:
    from accounts.models import User

# Content actions a rule may take: none needs more input (a duration, countries) than the
# category's defaults give, and none touches the account.
AUTO_ACTIONS: tuple[str, ...] = (
    Action.REMOVE_CONTENT,
    Action.REMOVE_FROM_SEARCH,
    Action.LABEL,
    Action.AGE_RESTRICT,
)
NOTE_MAX = 2000


def _rule_state(rule: AutoActionRule) -> dict[str, object]:
    return {
        "enabled": rule.enabled,
        "threshold": rule.threshold,
        "actions": list(rule.actions),
        "sample_percent": rule.sample_percent,
    }


def rule_errors(
    *, enabled: bool, threshold: int, actions: Sequence[str], sample_percent: int
) -> dict[str, list[str]]:
    """Every problem with a rule's settings at once (empty when it is valid)."""
    errors: dict[str, list[str]] = {}
    if not 0 <= threshold <= 100:
        errors["threshold"] = [_("Give a score between 0 and 100.")]
    if not 0 <= sample_percent <= 100:
        errors["sample_percent"] = [_("Give a share between 0 and 100 per cent.")]
    unknown = sorted(set(actions) - set(AUTO_ACTIONS))
    if unknown:
        errors["actions"] = [
            _("Not an automatic action: %(names)s. Choose among %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(AUTO_ACTIONS)}
        ]
    elif enabled and not actions:
        errors["actions"] = [_("Choose at least one action before switching the rule on.")]
    return errors


@transaction.atomic(durable=True)
def rule_update(
    *,
    category_id: int,
    enabled: bool,
    threshold: int,
    actions: Sequence[str],
    sample_percent: int,
    actor: User,
    reauthenticated_at: int | None,
) -> AutoActionRule:
    """
    Set a category's automatic-action rule (created, off, on first change). Refused without
    the permission or a fresh step-up; `automation.rule_changed` lists each changed setting.
    """
    if not permissions.can_manage_detectors(actor):
        raise NotAllowed
    if not reauth.is_fresh(reauthenticated_at):
        raise StepUpRequired
    errors = rule_errors(
        enabled=enabled, threshold=threshold, actions=actions, sample_percent=sample_percent
    )
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        errors["category"] = [_("There is no such category.")]
    if errors:
        raise GovernanceInputInvalid(errors)
    AutoActionRule.objects.get_or_create(category_id=category_id)
    rule = AutoActionRule.objects.select_for_update().get(category_id=category_id)
    before = _rule_state(rule)
    rule.enabled, rule.threshold, rule.sample_percent = enabled, threshold, sample_percent
    rule.actions = [a for a in AUTO_ACTIONS if a in set(actions)]  # one order, no repeats
    after = _rule_state(rule)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changed:
        return rule
    rule.updated_at, rule.updated_by = timezone.now(), actor
    rule.save(update_fields=[*changed, "updated_at", "updated_by"])
    audit.record(
        action="automation.rule_changed",
        actor=actor,
        target=rule,
        data={"category": category_id, "changes": changed},
    )
    return rule


@transaction.atomic(durable=True)
def automated_action_review(
    *, action_id: int, verdict: str, note: str, actor: User
) -> AutomatedAction:
    """
    A human's verdict on a sampled automatic action: agree, or disagree with a note saying
    why. Once only: the row is locked, and a second reviewer finds it reviewed (nothing of
    theirs is written). AutomatedAction.DoesNotExist for an action that was not sampled.
    """
    if not permissions.can_review_automated_actions(actor):
        raise NotAllowed
    note = note.strip()
    errors: dict[str, list[str]] = {}
    if verdict not in (AutomatedAction.Review.AGREE, AutomatedAction.Review.DISAGREE):
        errors["verdict"] = [_("Choose agree or disagree.")]
    if verdict == AutomatedAction.Review.DISAGREE and not note:
        errors["note"] = [_("Say what the right decision would have been, and why.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(n)d characters.") % {"n": NOTE_MAX}]
    if errors:
        raise GovernanceInputInvalid(errors)
    action = AutomatedAction.objects.select_for_update().get(pk=action_id, sampled=True)
    if action.review:
        raise AlreadyReviewed
    action.review, action.review_note = verdict, note
    action.reviewed_at, action.reviewed_by = timezone.now(), actor
    action.save(update_fields=["review", "review_note", "reviewed_at", "reviewed_by"])
    audit.record(
        action="automation.reviewed",
        actor=actor,
        target=action,
        data={
            "case": action.case_id,
            "decision": action.decision_id,
            "detector": action.detector,
            "review": verdict,
            "note_given": bool(note),
        },
    )
    return action
