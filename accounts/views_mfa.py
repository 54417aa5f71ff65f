"""
The "Two-step verification" pages: list one's second factors, add an authenticator app, make
recovery codes, remove a device. Every change needs a fresh step-up; a device id that is not
the user's own is a 404, like one that does not exist.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import mfa, reauth


def _step_up_redirect(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the confirmation page when the last step-up is not fresh, else None."""
    if reauth.is_fresh(reauth.reauthenticated_at(request)):
        return None
    messages.info(request, _("Confirm it is you before changing your two-step verification."))
    query = urlencode({"next": reverse("accounts:mfa")})
    return redirect(f"{reverse('accounts:reauth')}?{query}")


@require_GET
def mfa_overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/mfa/overview.html",
        {"devices": mfa.devices_for(user=request.user)},
    )


@require_POST
def totp_add(request: HttpRequest) -> HttpResponse:
    if refused := _step_up_redirect(request):
        return refused
    device = mfa.totp_device_start(user=request.user)
    return redirect("accounts:mfa_totp_confirm", device_id=device.pk)


@require_http_methods(["GET", "POST"])
def totp_confirm(request: HttpRequest, device_id: int) -> HttpResponse:
    device = mfa.totp_device_pending(user=request.user, device_id=device_id)
    if device is None:
        raise Http404
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if mfa.totp_device_confirm(user=request.user, device_id=device.pk, code=code):
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
    codes = mfa.recovery_codes_generate(user=request.user)
    # Shown in this response only (no redirect): the codes are never displayed again.
    response = render(request, "accounts/mfa/recovery_codes.html", {"codes": codes})
    add_never_cache_headers(response)
    return response


@require_POST
def device_remove(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    if kind not in mfa.DEVICE_KINDS:
        raise Http404
    if not mfa.DEVICE_KINDS[kind].objects.filter(user=request.user, pk=device_id).exists():
        raise Http404
    if refused := _step_up_redirect(request):
        return refused
    if not mfa.device_remove(user=request.user, kind=kind, device_id=device_id):
        raise Http404
    messages.success(request, _("The device was removed."))
    return redirect("accounts:mfa")
