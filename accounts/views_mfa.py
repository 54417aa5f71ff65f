"""
The "Two-step verification" pages: list one's second factors, add an authenticator app, make
recovery codes, remove a device. Every change needs a fresh step-up; a device id that is not
the user's own is a 404, like one that does not exist.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import lockout, mfa, reauth, second_factor
from accounts.request_user import signed_in_user
from accounts.second_factor import enrolment_view, second_factor_exempt


def _step_up_redirect(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the confirmation page when the last step-up is not fresh, else None."""
    if reauth.is_fresh(reauth.reauthenticated_at(request)):
        return None
    messages.info(request, _("Confirm it is you before changing your two-step verification."))
    query = urlencode({"next": reverse("accounts:mfa")})
    return redirect(f"{reverse('accounts:reauth')}?{query}")


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return "/"
    return next_url


@second_factor_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a passkey, an authenticator code or a recovery code."""
    next_url = _safe_next(request)
    user = signed_in_user(request)
    if user.is_verified() or not mfa.has_second_factor(user=user):
        return redirect(next_url)
    error = ""
    if request.method == "POST":
        if second_factor.verify_code(request=request, code=request.POST.get("code", "")):
            return redirect(next_url)
        error = _("That code is not correct or was already used. Try the current one.")
        # The lockout page replaces this answer (axes.middleware.AxesMiddleware).
        lockout.session_end_if_locked_out(request)
    response = render(
        request,
        "accounts/mfa/verify.html",
        {
            "next": next_url,
            "error": error,
            "has_passkey": mfa.has_passkey(user=user),
            "has_code": mfa.has_code_factor(user=user),
        },
        status=400 if error else 200,
    )
    add_never_cache_headers(response)
    return response


@enrolment_view
@require_GET
def mfa_overview(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    devices = mfa.devices_for(user=user)
    return render(
        request,
        "accounts/mfa/overview.html",
        {
            "devices": devices,
            "required": second_factor.required_for(user),
            "enrolled": any(row.kind != "static" for row in devices),
            "has_passkey": any(row.kind == "passkey" for row in devices),
            "prefers_passkey": user.has_perm("disclosures.approve_requests"),
            "step_up_fresh": reauth.is_fresh(reauth.reauthenticated_at(request)),
        },
    )


@enrolment_view
@require_POST
def totp_add(request: HttpRequest) -> HttpResponse:
    if refused := _step_up_redirect(request):
        return refused
    device = mfa.totp_device_start(user=signed_in_user(request))
    return redirect("accounts:mfa_totp_confirm", device_id=device.pk)


@enrolment_view
@require_http_methods(["GET", "POST"])
def totp_confirm(request: HttpRequest, device_id: int) -> HttpResponse:
    user = signed_in_user(request)
    device = mfa.totp_device_pending(user=user, device_id=device_id)
    if device is None:
        raise Http404
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if mfa.totp_device_confirm(user=user, device_id=device.pk, code=code):
            if not user.is_verified():
                # The user just proved they hold it: this session has had its second step.
                django_otp.login(request, device)
                request.session.cycle_key()
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("accounts:mfa")
        error = _("That code is not correct. Enter the code your app shows now.")
    response = render(
        request,
        "accounts/mfa/totp_confirm.html",
        {
            "device": device,
            "qr_svg": mfa.totp_qr_svg(device=device),
            "secret": mfa.totp_secret(device=device),
            "error": error,
        },
    )
    add_never_cache_headers(response)  # the page holds the secret
    return response


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if refused := _step_up_redirect(request):
        return refused
    codes = mfa.recovery_codes_generate(user=signed_in_user(request))
    # Shown in this response only (no redirect): the codes are never displayed again.
    response = render(request, "accounts/mfa/recovery_codes.html", {"codes": codes})
    add_never_cache_headers(response)
    return response


@require_POST
def device_remove(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    if kind not in mfa.DEVICE_KINDS:
        raise Http404
    user = signed_in_user(request)
    if not mfa.DEVICE_KINDS[kind].objects.filter(user=user, pk=device_id).exists():
        raise Http404
    if refused := _step_up_redirect(request):
        return refused
    try:
        removed = mfa.device_remove(user=user, kind=kind, device_id=device_id)
    except mfa.LastFactorRequired:
        messages.error(
            request,
            _(
                "Your role requires two-step verification, so this is your last passkey or "
                "authenticator app and it stays. Add another one first, or ask an "
                "administrator to reset your two-step verification."
            ),
        )
        return redirect("accounts:mfa")
    if not removed:
        raise Http404
    messages.success(request, _("The device was removed."))
    return redirect("accounts:mfa")
