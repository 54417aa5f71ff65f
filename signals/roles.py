"""
What each role may do with hash banks. Accounts finds this module by autodiscovery and builds
the role groups from every app's grants (accounts.roles).
"""

from __future__ import annotations

from accounts.roles import Role, grant

# Senior moderators curate the banks: a banked hash acts on every future upload, so the
# people who decide appeals (and see where a wrong hash leads) keep them.
grant(Role.SENIOR_MODERATOR, {"signals.view_hash_banks", "signals.manage_hash_banks"})

# Detectors and automation: seniors govern them (modes, thresholds, retraining); moderators see
# the models' measured quality and review the sample of automatic actions.
grant(
    Role.SENIOR_MODERATOR,
    {
        "signals.view_detectors",
        "signals.manage_detectors",
        "signals.review_automated_actions",
        "signals.train_models",
    },
)
grant(Role.MODERATOR, {"signals.view_detectors", "signals.review_automated_actions"})
