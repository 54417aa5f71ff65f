"""
One way to move a status: check the model's `TRANSITIONS` table, set, save.

Each workflow with its own rules (who may, what else changes, which audit event) wraps this in
its own transition function (`moderation.services.workflow`, `disclosures.services.workflow`,
`outbox.services`), so a status is never assigned anywhere else and an illegal pair is refused in
one place. The caller holds the row lock in its transaction: the status checked here is the one
the save overwrites.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from django.db import transaction

from core.errors import InvalidTransition


class StateMachine(Protocol):
    """A model with a `status` field and a table of the moves each status allows."""

    status: str

    @property
    def TRANSITIONS(self) -> Mapping[str, frozenset[str]]: ...

    def save(self, *, update_fields: list[str]) -> None: ...


def transition_allowed(obj: StateMachine, to: str) -> bool:
    return to in obj.TRANSITIONS[obj.status]


def status_transition(
    obj: StateMachine,
    *,
    to: str,
    fields: tuple[str, ...] = (),
    refusal: type[InvalidTransition] = InvalidTransition,
) -> str:
    """
    Move a locked row to `to` and save it with the other changed `fields`; return the status it
    left. An illegal move raises `refusal` (the app's own InvalidTransition) and writes nothing.
    """
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the caller's row lock is already gone: the checked status could
        # change before the save.
        raise RuntimeError("status_transition needs the caller's transaction and row lock.")
    if not transition_allowed(obj, to):
        raise refusal(current=obj.status, requested=to)
    previous = obj.status
    obj.status = to
    obj.save(update_fields=["status", *fields])
    return previous
