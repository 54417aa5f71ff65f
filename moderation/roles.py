"""
What each role may do in moderation. Accounts finds this module by autodiscovery and builds
the role groups from every app's grants (accounts.roles).
"""

from __future__ import annotations

from accounts.roles import Role, grant

_MODERATE = {"moderation.triage_cases", "moderation.decide_cases", "moderation.write_notes"}

grant(Role.MODERATOR, _MODERATE)
grant(
    Role.SENIOR_MODERATOR,
    _MODERATE
    | {
        "moderation.handle_escalations",
        "moderation.decide_appeals",
        "moderation.bulk_decide",
        "moderation.view_moderation_stats",
        "moderation.view_original_media",
        "moderation.mute_reporters",
        "moderation.manage_reply_templates",
        "moderation.publish_transparency_report",
    },
)
# The legal team reads the cases escalated to it, to link a request to the violation; the
# legal officer, who prepares disclosures and preservation, may take the original media too.
grant(
    Role.LEGAL_OFFICER,
    {
        "moderation.view_legal_escalations",
        "moderation.view_original_media",
        "moderation.publish_transparency_report",
    },
)
grant(Role.LEGAL_APPROVER, {"moderation.view_legal_escalations"})
