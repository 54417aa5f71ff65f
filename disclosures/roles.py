"""
What each role may do with legal requests. Accounts finds this module by autodiscovery and
builds the role groups from every app's grants (accounts.roles).
"""

from __future__ import annotations

from accounts.roles import Role, grant

_READ = {"disclosures.view_requests", "disclosures.view_transparency_report"}

grant(
    Role.LEGAL_OFFICER,
    _READ
    | {
        "disclosures.prepare_requests",
        "disclosures.release_packages",
        "disclosures.manage_authorities",
        "disclosures.unmask_pii",
    },
)
grant(Role.LEGAL_APPROVER, _READ | {"disclosures.approve_requests", "disclosures.unmask_pii"})
grant(Role.AUDITOR, {"disclosures.view_transparency_report"})
