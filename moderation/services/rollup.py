"""
Private-group roll-up: many message cases from one private group or channel gather in one
case about the group, shown together and decided at the group level (docs/private-chats.md).

The hooks below are called by intake and by `decision_create`; they do nothing for a chat
that is not rolled up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moderation.models import Case, Decision, Report

if TYPE_CHECKING:
    from accounts.models import User


def rollups_after_intake(*, case_ids: list[int]) -> None:
    """Roll the message cases among `case_ids` (locked by intake) into their group's case."""
    return None


def decision_evidence(*, case: Case) -> Report | None:
    """The report a decision's statement of reasons cites as its evidence."""
    return case.reports.order_by("-id").first()


def rolled_up_cases_resolve(*, decision: Decision, case: Case, actor: User) -> None:
    """Resolve the message cases rolled up into `case` with its group-level decision."""
    return None
