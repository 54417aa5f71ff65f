"""
What each role may do in moderation. Accounts finds this module by autodiscovery and builds
the role groups from every app's grants (accounts.roles).
"""

from __future__ import annotations

from accounts.roles import Role, grant

_MODERATE = {"moderation.triage_cases", "moderation.decide_cases"}

grant(Role.MODERATOR, _MODERATE)
grant(
    Role.SENIOR_MODERATOR,
    _MODERATE
    | {
        "moderation.handle_escalations",
        "moderation.decide_appeals",
        "moderation.bulk_decide",
        "moderation.view_moderation_stats",
    },
)
# The legal team reads the cases escalated to it, to link a request to the violation.
grant(Role.LEGAL_OFFICER, {"moderation.view_legal_escalations"})
grant(Role.LEGAL_APPROVER, {"moderation.view_legal_escalations"})
