"""
The case and appeal state machines' one way to move.

Every change of `Case.status` goes through `case_transition`, and every change of
`Appeal.status` through `appeal_transition`: the move is checked against the model's
`TRANSITIONS` here and nowhere else, so a new status or a new rule is one edit. Both run
inside the caller's transaction, on a row the caller has locked with `select_for_update`,
because the caller's own guards (who holds the claim, who may decide) must see the same row
the move is saved on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

import audit
from moderation.exceptions import AppealRefused, InvalidTransition
from moderation.models import Appeal, Case


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
    actor: Any,
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
