from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from accounts.htmx_login import is_htmx, page_behind
from accounts.permissions import require
from config import health

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

STATUS_PERMISSION = "accounts.manage_roles"  # the Administrator role's own permission


def can_view_system_status(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm(STATUS_PERMISSION))


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """
    Readiness for load balancers: "ok" (200) when the database and the broker answer,
    "unavailable" (503) otherwise. Public, so it names nothing: the failed check and its
    cause go to the log and to the administrators' status page.
    """
    ready, _checks = health.readiness()
    return HttpResponse(
        "ok" if ready else "unavailable",
        status=200 if ready else 503,
        content_type="text/plain; charset=utf-8",
    )


@never_cache
@require_GET
def system_status(request: HttpRequest) -> HttpResponse:
    """Each dependency's state, cause of failure and response time, for administrators."""
    require(can_view_system_status(request.user))
    checks = health.status_report()
    return render(
        request,
        "status.html",
        {"checks": checks, "healthy": all(check["ok"] for check in checks.values())},
    )


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """
    A form sent with an expired or missing security token (CSRF_FAILURE_VIEW): usually a page
    left open across a sign-in. Say so plainly, never Django's technical page; htmx requests
    reload the page they came from (drafts.js puts back what was typed).
    """
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = page_behind(request)
        response["X-Keep-Drafts"] = "1"
        return response
    return render(request, "403_csrf.html", status=403)


@login_not_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """
    The language switcher (every page's footer, the login page too): Django's set_language,
    open before sign-in. It keeps the choice in a cookie and returns to `next` when that is
    on this site.
    """
    return set_language(request)
