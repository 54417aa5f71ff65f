"""Appeals (DSA Art. 20): submission by the affected user; decisions by senior moderators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import audit
from moderation import events, outbox_kinds
from moderation.exceptions import (
    AppealAlreadyDecided,
    AppealRefused,
    InvalidDecision,
    NotAllowed,
    OwnDecisionAppealed,
)
from moderation.models import AccountRestriction, Appeal, Case, Decision, Report, Strike
from moderation.models.decisions import Action
from moderation.services import decisions, rollup
from moderation.services.decisions import DecisionInput, decision_create
from moderation.services.workflow import appeal_transition, decision_transition
from outbox.models import Delivery
from outbox.services import delivery_enqueue

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class AppealInput:
    external_id: str
    decision_puid: str  # the statement's PUID, or "tsd-<decision uuid>" for any decision
    appellant_id: str
    reason: str
    submitted_at: datetime


def _decision_for(puid: str) -> Decision | None:
    uuid = puid.removeprefix("tsd-")
    try:
        return Decision.objects.select_related("case__subject__author").get(uuid=uuid)
    except (Decision.DoesNotExist, ValueError, Exception):  # a malformed uuid is "not found"
        return None


@transaction.atomic
def appeal_submit(*, item: AppealInput) -> tuple[Appeal, bool]:
    """
    Register an appeal; returns (appeal, created). Idempotent on external_id.

    Refused (AppealRefused, nothing written) when the decision is unknown or no longer in
    force, the appellant is neither the affected account nor one of the case's reporters,
    the window has closed, or another appeal on the decision is pending.
    """
    existing = Appeal.objects.filter(external_id=item.external_id).first()
    if existing:
        return existing, False
    decision = _decision_for(item.decision_puid)
    if decision is None:
        raise AppealRefused("No decision has this PUID.")
    if decision.status != Decision.Status.IN_FORCE:
        raise AppealRefused("This decision is no longer in force.")
    case = decision.case
    affected = case.subject.author.platform_id == item.appellant_id
    reporter = Report.objects.filter(case=case, reporter__platform_id=item.appellant_id).exists()
    if not (affected or reporter):
        raise AppealRefused("Only the affected account or a reporter of the case may appeal.")
    window_end = decision.created_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
    if item.submitted_at > window_end or timezone.now() > window_end:
        raise AppealRefused(f"The appeal window closed on {window_end:%Y-%m-%d}.")
    if item.submitted_at < decision.created_at:
        raise AppealRefused("The appeal is dated before the decision.")
    if not item.reason.strip():
        raise AppealRefused("Give the reasons for the appeal.")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                external_id=item.external_id,
                decision=decision,
                appellant_id=item.appellant_id,
                reason=item.reason.strip(),
                submitted_at=item.submitted_at,
            )
    except IntegrityError as exc:
        again = Appeal.objects.filter(external_id=item.external_id).first()
        if again:  # the same appeal sent twice at once
            return again, False
        raise AppealRefused("An appeal against this decision is already pending.") from exc
    audit.record(
        action="appeal.received",
        target=appeal,
        data={"decision": decision.pk, "by": "affected" if affected else "reporter"},
    )
    return appeal, True


APPEAL_OUTCOMES = (Appeal.Status.UPHELD, Appeal.Status.REVERSED, Appeal.Status.MODIFIED)
# What the appellant is told they may still do (DSA Art. 20(5), Art. 21).
FURTHER_REDRESS = ("out_of_court_dispute_settlement", "judicial_redress")


def _deciders_of(decision: Decision) -> set[int]:
    """The moderator of the decision and of every earlier decision it superseded."""
    deciders = {decision.moderator_id}
    earlier_id = decision.supersedes_id
    seen: set[int] = set()
    while earlier_id and earlier_id not in seen:
        seen.add(earlier_id)
        moderator_id, earlier_id = Decision.objects.values_list(
            "moderator_id", "supersedes_id"
        ).get(pk=earlier_id)
        deciders.add(moderator_id)
    return deciders


def _check_outcome(*, outcome: str, note: str, new_decision: DecisionInput | None) -> None:
    if outcome not in APPEAL_OUTCOMES:
        raise AppealRefused("Choose the outcome: upheld, reversed or modified.")
    if not note.strip():
        raise AppealRefused("Explain the outcome: the appellant is owed the reasons.")
    if outcome == Appeal.Status.MODIFIED:
        if new_decision is None:
            raise AppealRefused("A modified decision needs the new decision.")
        errors = new_decision.validate()
        if errors:
            raise InvalidDecision(errors)
    elif new_decision is not None:
        raise AppealRefused("Only a modified decision comes with a new decision.")


def _decision_withdraw(
    *, decision: Decision, case: Case, status: str, appeal: Appeal, now: datetime
) -> Delivery | None:
    """
    Take a decision out of force: void its strike, lift its live restrictions, and tell the
    platform what to undo. A "no violation" decision imposed nothing, so nothing is sent.
    """
    decision_transition(decision=decision, to=status)
    events.decision_withdrawn.send(sender=Decision, decision=decision, status=status)
    decisions.reporter_outcome_record(case=case, actioned=decision.is_violation, undo=True)
    rollup.rolled_up_outcomes_undo(decision=decision, case=case)
    voided = Strike.objects.filter(decision=decision, voided_at__isnull=True).update(voided_at=now)
    live = AccountRestriction.objects.filter(decision=decision, lifted_at__isnull=True).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    lifted = sorted(set(live.values_list("kind", flat=True)))
    live.update(lifted_at=now)
    if not decision.is_violation:
        return None
    subject = case.subject
    return delivery_enqueue(
        kind=outbox_kinds.REVERSAL,
        key=f"reverse-{decision.uuid}",
        topic=case,
        cause=decision,
        payload={
            "case": case.pk,
            "decision": str(decision.uuid),
            "subject": {"type": subject.type, "platform_id": subject.platform_id},
            "account": subject.author.platform_id,
            "undo": [a for a in decision.actions if a != Action.NO_VIOLATION],
            "lift_restrictions": lifted,
            "strike_voided": bool(voided),
            "appeal": appeal.external_id,
            "outcome": appeal.status,
        },
    )


@transaction.atomic(durable=True)
def appeal_decide(
    *,
    appeal_id: int,
    actor: User,
    outcome: str,
    note: str,
    new_decision: DecisionInput | None = None,
) -> Appeal:
    """
    A senior moderator's answer to an appeal: uphold, reverse, or replace the decision.

    The appeal, its decision and its case are re-read under a row lock, so two seniors
    answering at once cannot both decide: the second gets AppealAlreadyDecided. Nobody
    answers an appeal against their own decision, nor against one that superseded theirs.
    Every refusal raises before anything is written.
    """
    if not actor.has_perm("moderation.decide_appeals"):
        raise NotAllowed
    appeal = (
        Appeal.objects.select_for_update(of=("self", "decision", "decision__case"))
        .select_related("decision__case__category", "decision__case__subject__author")
        .get(pk=appeal_id)
    )
    if appeal.status != Appeal.Status.PENDING:
        raise AppealAlreadyDecided
    decision, case = appeal.decision, appeal.decision.case
    if actor.pk in _deciders_of(decision):
        raise OwnDecisionAppealed
    _check_outcome(outcome=outcome, note=note, new_decision=new_decision)
    if decision.status != Decision.Status.IN_FORCE:
        raise AppealRefused("This decision is no longer in force.")
    if outcome == Appeal.Status.REVERSED and not decision.is_violation:
        raise AppealRefused(
            "A “no violation” decision imposed nothing to undo: to act on the content, "
            "choose “modified” and give the new decision."
        )

    now = timezone.now()
    appeal.decided_by = actor
    appeal.decided_at = now
    appeal.outcome_note = note.strip()
    appeal_transition(
        appeal=appeal, to=outcome, fields=("decided_by", "decided_at", "outcome_note")
    )

    made: Decision | None = None
    if outcome == Appeal.Status.REVERSED:
        _decision_withdraw(
            decision=decision, case=case, status=Decision.Status.REVERSED, appeal=appeal, now=now
        )
        # The reports turned out to need no action: that is what the reporters' records keep.
        decisions.reporter_outcome_record(case=case, actioned=False)
    elif outcome == Appeal.Status.MODIFIED:
        if new_decision is None:  # _check_outcome refuses this; the check survives `-O`
            raise AppealRefused("A modified decision needs the new decision.")
        _decision_withdraw(
            decision=decision, case=case, status=Decision.Status.SUPERSEDED, appeal=appeal, now=now
        )
        made = decision_create(
            case=case,
            actor=actor,
            decision=new_decision,
            origin=Decision.Origin.APPEAL,
            supersedes=decision,
        )

    delivery_enqueue(
        kind=outbox_kinds.APPEAL_OUTCOME,
        key=f"appeal-{appeal.pk}",
        topic=case,
        cause=decision,
        payload={
            "appeal": appeal.external_id,
            "recipient": appeal.appellant_id,
            "decision": str(decision.uuid),
            "outcome": outcome,
            "reasons": appeal.outcome_note,
            "decided_at": now.isoformat(),
            "new_decision": str(made.uuid) if made else None,
            "further_redress": list(FURTHER_REDRESS),
        },
    )
    audit.record(
        action="appeal.decided",
        actor=actor,
        target=appeal,
        data={
            "outcome": outcome,
            "case": case.pk,
            "decision": decision.pk,
            "new_decision": made.pk if made else None,
        },
    )
    return appeal
