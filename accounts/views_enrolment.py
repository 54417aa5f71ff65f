"""
The public page behind a one-time enrolment link, where an account's owner sets a password.

Nobody is signed in here, so the page is open without a login, limited per client address,
never cached, and passes no path on as Referer (the token is in its URL). It does not look
the token up on GET: an unknown, expired, used or revoked link gets the same form and, when
submitted, the same refusal, so the page says nothing about which links exist.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from accounts import enrolment
from accounts.forms_enrolment import EnrolmentPasswordForm
from audit.middleware import client_ip

# Requests one client address may make to enrolment links per window, GET and POST alike:
# an owner needs a handful; more is someone trying tokens or passwords.
DEFAULT_RATE_LIMIT = 20
DEFAULT_RATE_WINDOW_SECONDS = 600


def enrolment_rate_limited(*, request: HttpRequest, now: float | None = None) -> int | None:
    """
    Count one request from the client's address in a fixed window; over the limit, the
    seconds until the window ends, else None. The counter is in the shared cache (Redis in
    production), like the API's.
    """
    limit = getattr(settings, "ENROLMENT_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    seconds = getattr(settings, "ENROLMENT_RATE_WINDOW_SECONDS", DEFAULT_RATE_WINDOW_SECONDS)
    now = time.time() if now is None else now
    window = int(now // seconds)
    key = f"enrolment-rate:{client_ip(request) or 'unknown'}:{window}"
    cache.add(key, 0, timeout=seconds * 2)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window
        cache.set(key, 1, timeout=seconds * 2)
        used = 1
    if used > limit:
        return max(1, math.ceil((window + 1) * seconds - now))
    return None


# The token is in the page's URL, so no request from the page may carry its path as Referer.
# "strict-origin" sends the origin alone (and nothing over plain HTTP from HTTPS). Not
# "no-referrer": under it browsers send `Origin: null` with the page's own form, which
# Django's CSRF check rightly refuses, so the password could never be set.
REFERRER_POLICY = "strict-origin"


def _origin_only_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every response of the page, refusals and redirects included, gets REFERRER_POLICY."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    return wrapped


@login_not_required
@never_cache
@_origin_only_referrer
@sensitive_post_parameters("password1", "password2")
@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    retry_after = enrolment_rate_limited(request=request)
    if retry_after is not None:
        response = render(request, "accounts/enrol_limited.html", status=429)
        response["Retry-After"] = str(retry_after)
        return response

    form = EnrolmentPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = enrolment.enrolment_link_use(
                token=token,
                password=form.cleaned_data["password1"],
                password2=form.cleaned_data["password2"],
                request=request,
            )
        except enrolment.EnrolmentLinkInvalid as refused:
            form.add_error(None, str(refused))
        except enrolment.PasswordRejected as rejected:
            form.add_error("password1", rejected.messages)
        else:
            messages.success(
                request,
                _("Your password is set. Sign in as %(username)s with it now.")
                % {"username": user.get_username()},
            )
            return redirect(settings.LOGIN_URL)
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "password_rules": password_validators_help_text_html()},
    )
