"""
Moderation's state machines' one way to move.

Every change of `Case.status` goes through `case_transition`, of `Appeal.status` through
`appeal_transition`, of `Decision.status` through `decision_transition` and of `BulkJob.status`
through `bulk_job_transition`: the move is checked against the model's `TRANSITIONS` here and
nowhere else, so a new status or a new rule is one edit. All run inside the caller's
transaction, on a row the caller has locked with `select_for_update`, because the caller's own
guards (who holds the claim, who may decide) must see the same row the move is saved on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

import audit
from core.transitions import status_transition
from moderation.exceptions import (
    AppealRefused,
    BulkJobTransitionRefused,
    DecisionTransitionRefused,
    InvalidTransition,
)
from moderation.models import Appeal, BulkJob, Case, Decision

if TYPE_CHECKING:
    from accounts.models import User


def _require_transaction(what: str) -> None:
    # Outside a transaction the row lock the caller took has already been released, so the
    # status checked here could change before the save.
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} needs the caller's transaction and row lock.")


def case_transition_check(*, case: Case, to: str) -> None:
    """Refuse a move the case's state machine does not allow; writes nothing."""
    if not case.can_transition_to(to):
        raise InvalidTransition(current=case.status, requested=to)


def case_transition(
    *,
    case: Case,
    to: str,
    actor: User | None,
    action: str,
    fields: tuple[str, ...] = (),
    data: Mapping[str, Any] | None = None,
) -> str:
    """
    Move a locked case to `to`, save it with the other changed `fields`, record `action`.

    The audit action names what happened (`case.claimed`, `case.decided`, ...) rather than a
    generic status change, because the case timeline and the statements of reasons read
    those names; the move and its one event are still written here, together. Returns the
    status the case left.
    """
    _require_transaction("case_transition")
    case_transition_check(case=case, to=to)
    previous = case.status
    case.status = to
    case.save(update_fields=["status", "updated_at", *fields])
    audit.record(action=action, actor=actor, target=case, data=dict(data or {}))
    return previous


def appeal_transition(*, appeal: Appeal, to: str, fields: tuple[str, ...] = ()) -> str:
    """
    Move a locked appeal to its outcome and save it with the other changed `fields`.

    The caller records `appeal.decided` once the rest of the outcome is written, since that
    event names the decision a modified outcome creates after the move. Returns the status
    the appeal left.
    """
    _require_transaction("appeal_transition")
    if not appeal.can_transition_to(to):
        raise AppealRefused(f"An appeal that is {appeal.status} cannot become {to}.")
    previous = appeal.status
    appeal.status = to
    appeal.save(update_fields=["status", *fields])
    return previous


def decision_transition(*, decision: Decision, to: str) -> str:
    """Take a locked decision out of force (an appeal reversed or replaced it)."""
    return status_transition(decision, to=to, refusal=DecisionTransitionRefused)


def bulk_job_transition(*, job: BulkJob, to: str, fields: tuple[str, ...] = ()) -> str:
    """Start or finish a locked bulk job, saving the other changed `fields` with it."""
    return status_transition(job, to=to, fields=fields, refusal=BulkJobTransitionRefused)
