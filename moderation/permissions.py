"""Who may do what in moderation: yes/no predicates over the user's role permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _has(user: User | AnonymousUser, perm: str) -> bool:
    return bool(user.is_active and user.has_perm(perm))


def can_triage(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.triage_cases")


def can_decide(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.decide_cases")


def can_handle_escalations(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.handle_escalations")


def can_decide_appeals(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.decide_appeals")


def can_bulk_decide(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.bulk_decide")


def can_view_stats(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.view_moderation_stats")


def can_view_legal_escalations(user: User | AnonymousUser) -> bool:
    return _has(user, "moderation.view_legal_escalations")


def can_view_case(user: User | AnonymousUser) -> bool:
    return can_triage(user) or can_view_legal_escalations(user)


def can_view_original_media(user: User | AnonymousUser) -> bool:
    """
    Who may download reported media as received (metadata and all): senior moderators and
    legal officers, who take the decisions and disclosures that rest on it. Moderators and
    legal approvers see the renditions only.
    """
    return _has(user, "moderation.view_original_media")


def can_mute_reporters(user: User | AnonymousUser) -> bool:
    """Seniors mute reporters who file in bad faith (and lift the mute)."""
    return _has(user, "moderation.mute_reporters")


def can_view_reporters(user: User | AnonymousUser) -> bool:
    """A reporter's page shows their record and mute; it exists for those who may mute."""
    return can_mute_reporters(user)


def can_write_notes(user: User | AnonymousUser) -> bool:
    """Moderators and seniors add internal notes on the cases they may open."""
    return _has(user, "moderation.write_notes")


def can_read_notes(user: User | AnonymousUser) -> bool:
    """
    Whoever may open a case reads its notes: legal staff too, on the escalated cases they see,
    since the notes are often why it was escalated. They do not write them.
    """
    return can_write_notes(user) or can_view_case(user)


def can_manage_reply_templates(user: User | AnonymousUser) -> bool:
    """Seniors maintain the reply templates every moderator inserts."""
    return _has(user, "moderation.manage_reply_templates")


def can_view_team_metrics(user: User | AnonymousUser) -> bool:
    """
    Seniors, who run the queue (they handle escalations), and administrators, who staff it
    (they manage roles), see the team's metrics. Moderators do not: the page ranks people.
    """
    return can_handle_escalations(user) or _has(user, "accounts.manage_roles")
