"""How the audit trail names accounts' targets (see audit/targets.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.targets import TargetKind, field_of, register

register(
    TargetKind("accounts.user", _("Staff account"), references=field_of(User, "username")),
    TargetKind("accounts.rolegrant", _("Role grant")),
    TargetKind("accounts.apitoken", _("API token")),
)
