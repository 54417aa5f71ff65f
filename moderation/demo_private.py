"""Demo reports from private and secret chats: reporter-supplied evidence and a roll-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User


def seed_private_chats(users: dict[str, User]) -> int:
    """Seed the private-chat reports; returns how many reports were new."""
    return 0
