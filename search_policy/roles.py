"""
Who may do what with the search policy. Senior moderators only: a blocked term or a
delisting acts on every user's searches, and licensed list terms need a need to know.
"""

from __future__ import annotations

from accounts.roles import Role, grant

grant(
    Role.SENIOR_MODERATOR,
    {"search_policy.view_search_policy", "search_policy.manage_search_policy"},
)
