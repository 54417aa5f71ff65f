"""The triage queue: filters, keyset pages, claiming the next case, routing preferences."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from accounts.request_user import signed_in_user
from moderation import permissions
from moderation.exceptions import ModerationError
from moderation.forms import QueueFilterForm
from moderation.models import Category, ModeratorProfile
from moderation.selectors import exposure
from moderation.selectors import queue as queue_selectors
from moderation.services import claims


def id_url(name: str) -> dict[str, str]:
    """
    A URL taking one id, as the parts before ("head") and after ("tail") the id: reversed
    once per page, then each row's id is joined in (by a template, or the queue's
    `queue_rows`), where a `{% url %}` per row costs a reverse per row.
    """
    sentinel = 2**31 - 1
    head, tail = reverse(name, args=[sentinel]).split(str(sentinel))
    return {"head": head, "tail": tail}


def _queue_context(request: HttpRequest) -> dict:
    default = queue_selectors.filters_for_moderator(user=signed_in_user(request))
    form = QueueFilterForm(request.GET) if request.GET else QueueFilterForm.for_routing(default)
    filters = form.filters(default=default)
    cursor = form.cursor_value() if form.is_bound else None
    page = queue_selectors.queue_page(filters=filters, cursor=cursor)
    if request.GET:
        query = request.GET.copy()
        query.pop("cursor", None)
        query_string = query.urlencode()
    else:  # carry the routing defaults into the next page's link
        from urllib.parse import urlencode

        query_string = urlencode(
            {
                "status": "open",
                "language": ", ".join(default.languages),
                "category": default.categories,
            },
            doseq=True,
        )
    return {
        "form": form,
        "filters": filters,
        "page": page,
        "counts": queue_selectors.queue_counts(filters=filters),
        "query": query_string,
        "routed": not form.is_bound and (default.languages or default.categories),
        "can_bulk": permissions.can_bulk_decide(request.user),
        "case_url": id_url("moderation:case"),
        "claim_url": id_url("moderation:case_claim"),
    }


@require_GET
@vary_on_headers("HX-Request")
def home(request: HttpRequest) -> HttpResponse:
    require(permissions.can_triage(request.user))
    template = "moderation/queue.html"
    if getattr(request, "htmx", False):
        template += "#queue-table"
    return render(request, template, _queue_context(request))


@require_POST
def claim_next(request: HttpRequest) -> HttpResponse:
    require(permissions.can_triage(request.user))
    form = QueueFilterForm(request.POST)
    default = queue_selectors.filters_for_moderator(user=signed_in_user(request))
    filters = form.filters(default=default)
    try:
        case = claims.case_claim_next(actor=signed_in_user(request), filters=filters)
    except ModerationError as exc:
        messages.error(request, exc.message)
        return redirect("moderation:home")
    say_if_resting(request)
    if case is None:
        messages.info(request, _("Nothing left to claim with these filters."))
        return redirect(
            reverse("moderation:home") + (f"?{request.POST.urlencode()}" if form.data else "")
        )
    return redirect("moderation:case", case_id=case.pk)


def say_if_resting(request: HttpRequest) -> None:
    """Tell a moderator past the hour's soft cap why graphic cases are not coming to them."""
    found = exposure.over_soft_cap(signed_in_user(request))
    if found is not None:
        messages.warning(
            request,
            _(
                "You have seen %(n)d graphic items in the last hour: for now, claim next skips "
                "graphic categories. Take a break if you can."
            )
            % {"n": found.total},
        )


@require_GET
def exposure_overview(request: HttpRequest) -> HttpResponse:
    """Seniors: graphic material each moderator was exposed to (counts, never content)."""
    require(permissions.can_view_stats(request.user))
    return render(
        request,
        "moderation/exposure.html",
        {
            "rows": exposure.exposure_by_moderator(),
            "cap": settings.EXPOSURE_SOFT_CAP_PER_HOUR,
            "categories": exposure.graphic_categories(),
        },
    )


class ProfileForm(forms.Form):
    languages = forms.RegexField(
        label=_("Languages I handle"),
        regex=r"^\s*([a-z]{2,3}(\s*,\s*[a-z]{2,3})*)?\s*$",
        required=False,
        help_text=_("Comma-separated ISO codes, e.g. fa, ar, en. Empty: all languages."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories I handle"),
        queryset=Category.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all categories."),
    )


@require_http_methods(["GET", "POST"])
def routing_profile(request: HttpRequest) -> HttpResponse:
    """A moderator's languages and categories: their queue defaults to these."""
    require(permissions.can_triage(request.user))
    profile, _created = ModeratorProfile.objects.get_or_create(user=signed_in_user(request))
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            codes = [c.strip() for c in form.cleaned_data["languages"].split(",") if c.strip()]
            profile.languages = sorted(set(codes))
            profile.save(update_fields=["languages"])
            profile.categories.set(form.cleaned_data["categories"])
            messages.success(request, _("Your queue now starts from these preferences."))
            return redirect("moderation:home")
    else:
        form = ProfileForm(
            initial={
                "languages": ", ".join(profile.languages),
                "categories": profile.categories.all(),
            }
        )
    return render(request, "moderation/profile.html", {"form": form})


urlpatterns = [
    path("", home, name="home"),
    path("claim-next/", claim_next, name="claim_next"),
    path("my-queue/", routing_profile, name="profile"),
    path("exposure/", exposure_overview, name="exposure"),
]
