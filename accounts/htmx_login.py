"""
Sending an htmx request that lost its session to the login page, and back afterwards.

Without this, htmx follows the login redirect and pastes the login form into whatever panel
asked: the user sees a sign-in box inside a table cell and loses their place. An htmx request
gets "204 + HX-Redirect" instead, so the browser loads the login page as a page, with `next`
set to the page the user was on (htmx's HX-Current-URL), not the fragment's URL; the
drafts script (static/js/drafts.js) puts back what they had typed once they are signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def page_behind(request: HttpRequest) -> str:
    """The path (and query) of the page that sent an htmx request, or "/" when unknown."""
    current = request.headers.get("HX-Current-URL", "")
    if not current or not url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    parts = urlsplit(current)
    return parts.path + (f"?{parts.query}" if parts.query else "") or "/"


def htmx_login_redirect(request: HttpRequest) -> HttpResponse:
    """204 with HX-Redirect to the login page, coming back to the page behind the request."""
    login_url = resolve_url(settings.LOGIN_URL)
    response = HttpResponse(status=204)
    response["HX-Redirect"] = f"{login_url}?{urlencode({'next': page_behind(request)})}"
    response["X-Keep-Drafts"] = "1"  # drafts.js: put back what was typed on that page
    return response


class HtmxLoginRedirectMiddleware:
    """Turns the login redirect of an htmx request into a whole-page redirect (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_htmx(request) and response.status_code == 302:
            login_path = urlsplit(resolve_url(settings.LOGIN_URL)).path
            if urlsplit(response.get("Location", "")).path == login_path:
                return htmx_login_redirect(request)
        return response
