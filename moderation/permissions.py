"""Who may do what in moderation: yes/no predicates over the user's role permissions."""

from __future__ import annotations

from typing import Any


def _has(user: Any, perm: str) -> bool:
    return bool(user.is_active and user.has_perm(perm))


def can_triage(user: Any) -> bool:
    return _has(user, "moderation.triage_cases")


def can_decide(user: Any) -> bool:
    return _has(user, "moderation.decide_cases")


def can_handle_escalations(user: Any) -> bool:
    return _has(user, "moderation.handle_escalations")


def can_decide_appeals(user: Any) -> bool:
    return _has(user, "moderation.decide_appeals")


def can_bulk_decide(user: Any) -> bool:
    return _has(user, "moderation.bulk_decide")


def can_view_stats(user: Any) -> bool:
    return _has(user, "moderation.view_moderation_stats")


def can_view_legal_escalations(user: Any) -> bool:
    return _has(user, "moderation.view_legal_escalations")


def can_view_case(user: Any) -> bool:
    return can_triage(user) or can_view_legal_escalations(user)
