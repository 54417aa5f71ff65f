"""
Who reads and verifies the trail. Accounts finds this module by autodiscovery and builds the
role groups from every app's grants (accounts.roles).
"""

from __future__ import annotations

from accounts.roles import Role, grant

grant(Role.AUDITOR, {"audit.view_audit_trail", "audit.verify_audit_trail"})
grant(Role.ADMINISTRATOR, {"audit.view_auditevent", "audit.view_audit_trail"})
