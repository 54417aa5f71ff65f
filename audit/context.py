"""
Where the current act comes from: the request (client IP, request id, user) or a task.

The middleware binds it for each request; Celery tasks and commands may bind their own.
audit.record() reads it, so callers never pass the request down through the services.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


@dataclass(frozen=True)
class AuditContext:
    request_id: str = ""
    ip_address: str | None = None
    user: User | AnonymousUser | None = None  # the request's user (possibly lazy)
    # Refusals already recorded in this request, so a 403 is not recorded twice.
    denials: list[str] = field(default_factory=list)


_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current() -> AuditContext:
    return _current.get() or AuditContext()


@contextlib.contextmanager
def bind(
    *,
    request_id: str | None = None,
    ip_address: str | None = None,
    user: User | AnonymousUser | None = None,
) -> Iterator[AuditContext]:
    ctx = AuditContext(request_id=request_id or uuid.uuid4().hex, ip_address=ip_address, user=user)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
