"""
What the platform can see and do in each kind of chat: the provenance of reported evidence
and the actions a chat kind makes impossible.

Public groups and channels are read by the platform, so it observes what is reported there.
Private chats, groups and channels are private amongst their participants: the platform
moderates them from what reporters forward. Secret chats are end-to-end encrypted: the
platform holds no readable copy, so nothing in them can be removed, labelled or restricted;
only the account that wrote them can be acted on. See docs/private-chats.md.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from moderation.models.decisions import Action
from moderation.models.reports import Report, Subject

ChatKind = Subject.ChatKind

PUBLIC_CHAT_KINDS = frozenset({ChatKind.GROUP, ChatKind.CHANNEL})
PRIVATE_CHAT_KINDS = frozenset(
    {ChatKind.PRIVATE, ChatKind.PRIVATE_GROUP, ChatKind.PRIVATE_CHANNEL, ChatKind.SECRET}
)
# Chats whose many message cases roll up into one case about the chat.
ROLLUP_CHAT_KINDS = frozenset({ChatKind.PRIVATE_GROUP, ChatKind.PRIVATE_CHANNEL})
# Chats with a thread around a message that the platform or the reporter can send.
THREAD_CHAT_KINDS = frozenset(
    {ChatKind.GROUP, ChatKind.CHANNEL, ChatKind.PRIVATE_GROUP, ChatKind.PRIVATE_CHANNEL}
)

_NOT_IN_SEARCH = _("private chats are never listed in search, so there is nothing to delist")
_E2E = _("the platform holds no readable copy of an end-to-end encrypted chat")

# chat kind -> {impossible action: why}
IMPOSSIBLE_ACTIONS: dict[str, dict[str, object]] = {
    ChatKind.PRIVATE: {
        Action.REMOVE_FROM_SEARCH: _NOT_IN_SEARCH,
        Action.GEO_RESTRICT: _("a private chat is not shown by country"),
    },
    ChatKind.PRIVATE_GROUP: {Action.REMOVE_FROM_SEARCH: _NOT_IN_SEARCH},
    ChatKind.PRIVATE_CHANNEL: {Action.REMOVE_FROM_SEARCH: _NOT_IN_SEARCH},
    ChatKind.SECRET: {
        Action.REMOVE_CONTENT: _E2E,
        Action.REMOVE_FROM_SEARCH: _E2E,
        Action.GEO_RESTRICT: _E2E,
        Action.LABEL: _E2E,
        Action.AGE_RESTRICT: _E2E,
    },
}


def is_private(chat_kind: str) -> bool:
    return chat_kind in PRIVATE_CHAT_KINDS


def default_provenance(chat_kind: str) -> str:
    """Evidence from a private or secret chat can only have come from the reporter."""
    return Report.Provenance.REPORTER if is_private(chat_kind) else Report.Provenance.PLATFORM


def provenance_refusal(chat_kind: str, provenance: str) -> str | None:
    """Why `provenance` cannot be claimed for evidence from `chat_kind`, or None."""
    if provenance == Report.Provenance.PLATFORM and is_private(chat_kind):
        label = ChatKind(chat_kind).label
        return (
            f"provenance 'platform' is impossible for a {str(label).lower()}: the platform "
            "does not read private chats, so their evidence is 'reporter'-supplied."
        )
    return None


def impossible_actions(chat_kind: str) -> dict[str, str]:
    """{action: why it is impossible} for a subject in `chat_kind` (empty: all possible)."""
    return {action: str(why) for action, why in IMPOSSIBLE_ACTIONS.get(chat_kind, {}).items()}


def actions_refusal(chat_kind: str, actions: set[str] | tuple[str, ...] | list[str]) -> str | None:
    """Why these actions cannot be taken on a subject in `chat_kind`, or None."""
    impossible = impossible_actions(chat_kind)
    refused = [a for a in Action.values if a in set(actions) and a in impossible]
    if not refused:
        return None
    label = str(ChatKind(chat_kind).label).lower()
    reasons = "; ".join(f"“{Action(a).label}”: {impossible[a]}" for a in refused)
    return f"Impossible in a {label}: {reasons}."
