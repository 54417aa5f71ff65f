"""The signed-in user's preferences page: the time zone every page shows times in."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms_preferences import PreferencesForm
from accounts.request_user import signed_in_user


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.user_time_zone_set(user=user, time_zone=form.cleaned_data["time_zone"])
            messages.success(
                request,
                _("Times are now shown in %(zone)s.") % {"zone": form.cleaned_data["time_zone"]},
            )
            return redirect("accounts:preferences")
        status = 422
    else:
        form = PreferencesForm(initial={"time_zone": user.time_zone or "UTC"})
        status = 200
    return render(
        request,
        "accounts/preferences.html",
        {"form": form, "now": timezone.now()},
        status=status,
    )
