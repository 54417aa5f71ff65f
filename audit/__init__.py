"""
The audit trail both apps write to. `audit.record(...)` is the one way to write it.

These are plain functions that import `audit.services` when called: the package itself
imports no Django, so `import audit` works before the app registry is ready and the
standalone verifier (`audit.verify`, standard library only) can be imported on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db import models

    from accounts.models import User
    from audit.models import AuditEvent

__all__ = ["pii_digest", "record"]


def record(
    *,
    action: str,
    actor: User | None = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """
    Append one event to the trail, inside the caller's transaction (see audit.services).

    The action must be registered (audit.actions); an unknown one raises
    `audit.services.InvalidAuditEvent`.
    """
    from audit import services

    return services.record(
        action=action,
        actor=actor,
        target=target,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )


def pii_digest(value: str) -> str:
    """A keyed hash that stands in for a piece of PII in the trail (see audit.services)."""
    from audit import services

    return services.pii_digest(value)
