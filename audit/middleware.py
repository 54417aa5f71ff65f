from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from audit import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """
    The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
    address those proxies saw (counted from the right of X-Forwarded-For, which a client
    cannot forge past a proxy that appends).
    """
    candidate = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None


class RequestContextMiddleware:
    """Binds the audit context for the request and echoes the request id in X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else None
        with context.bind(
            request_id=request_id, ip_address=client_ip(request), user=request.user
        ) as ctx:
            request.request_id = ctx.request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class DeniedAccessMiddleware:
    """
    Every refused authorization in a view (PermissionDenied, the 403 page) is recorded as
    `authz.denied` with the path and method, in its own transaction — the refused request
    itself wrote nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        from django.core.exceptions import PermissionDenied
        from django.db import transaction

        import audit

        if (
            isinstance(exception, PermissionDenied)
            and request.user.is_authenticated
            and not context.current().denials  # the service already recorded this refusal
        ):
            with transaction.atomic():
                audit.record(
                    action="authz.denied",
                    data={"path": request.path[:300], "method": request.method or ""},
                )
