"""
Lockouts by django-axes into the audit trail.

Axes sends `user_locked_out` when the failure limit is reached and again for every attempt
refused while the lock holds; each one is an event, so the trail shows how long an attack
went on. The attempted username is kept only as a keyed digest, like failed logins.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out

import audit
from accounts.models import User


def _record_locked_out(sender: Any, request: Any, username: str | None, **_: Any) -> None:
    name = str(username or "")
    known = User.objects.filter(username=name).only("pk").first() if name else None
    audit.record(
        action="auth.locked_out",
        target_type="accounts.user" if known else "",
        target_id=known.pk if known else "",
        data={"username_digest": audit.pii_digest(name), "known_user": bool(known)},
    )


def connect_signals() -> None:
    user_locked_out.connect(_record_locked_out, dispatch_uid="accounts.lockout.audit")
