"""
The search policy pages (senior moderators): lists with filters, add, remove, review. A
removal widens what every user can find, so it needs a fresh step-up: without one the view
sends the user to confirm it is them and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import reauth
from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.errors import DomainError
from core.forms import call_for_form
from search_policy import allowlist, selectors, services
from search_policy.forms import (
    AllowedTermForm,
    DelistForm,
    ListFilterForm,
    RemoveForm,
    TermAddForm,
)
from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity


def _can_view(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("search_policy.view_search_policy"))


def _can_manage(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("search_policy.manage_search_policy"))


def _filters(request: HttpRequest) -> tuple[str, str]:
    form = ListFilterForm(request.GET)
    if not form.is_valid():
        return "active", ""
    return form.cleaned_data["status"] or "active", form.cleaned_data["q"]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The blocked terms."""
    require(_can_view(request))
    status, q = _filters(request)
    source = request.GET.get("source", "")
    if source not in BlockedTerm.Source.values:
        source = ""
    terms = list(
        selectors.terms_list(status=status, q=q, source=source)[: selectors.LIST_PAGE_SIZE]
    )
    return render(
        request,
        "search_policy/terms.html",
        {
            "terms": terms,
            "status": status,
            "q": q,
            "source": source,
            "sources": BlockedTerm.Source.choices,
            "version": selectors.feed_head(),
            "can_manage": _can_manage(request),
        },
    )


@require_GET
def entities(request: HttpRequest) -> HttpResponse:
    require(_can_view(request))
    status, q = _filters(request)
    entity_type = request.GET.get("type", "")
    if entity_type not in DelistedEntity.Type.values:
        entity_type = ""
    rows = list(
        selectors.entities_list(status=status, q=q, entity_type=entity_type)[
            : selectors.LIST_PAGE_SIZE
        ]
    )
    return render(
        request,
        "search_policy/entities.html",
        {
            "entities": rows,
            "status": status,
            "q": q,
            "entity_type": entity_type,
            "types": DelistedEntity.Type.choices,
            "version": selectors.feed_head(),
            "can_manage": _can_manage(request),
        },
    )


@require_GET
def allowed(request: HttpRequest) -> HttpResponse:
    """The allowed terms: queries no blocked term may block."""
    require(_can_view(request))
    status, q = _filters(request)
    rows = list(selectors.allowed_list(status=status, q=q)[: selectors.LIST_PAGE_SIZE])
    return render(
        request,
        "search_policy/allowed.html",
        {
            "allowed_terms": rows,
            "status": status,
            "q": q,
            "version": selectors.feed_head(),
            "can_manage": _can_manage(request),
        },
    )


@require_GET
def review(request: HttpRequest) -> HttpResponse:
    require(_can_view(request))
    terms, rows, allowed_terms = selectors.review_due()
    return render(
        request,
        "search_policy/review.html",
        {"terms": terms, "entities": rows, "allowed_terms": allowed_terms},
    )


@require_http_methods(["GET", "POST"])
def term_new(request: HttpRequest) -> HttpResponse:
    require(_can_manage(request))
    form = TermAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, term = call_for_form(
            form, lambda: services.term_add(actor=signed_in_user(request), data=form.term_input())
        )
        if ok:
            messages.success(request, _("Term #%(id)s blocked.") % {"id": term.pk})
            return redirect("search_policy:home")
    return render(
        request, "search_policy/form.html", {"form": form, "title": _("Block a search term")}
    )


@require_http_methods(["GET", "POST"])
def entity_new(request: HttpRequest) -> HttpResponse:
    require(_can_manage(request))
    form = DelistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, entity = call_for_form(
            form,
            lambda: services.entity_delist(actor=signed_in_user(request), data=form.entity_input()),
        )
        if ok:
            messages.success(request, _("%(entity)s removed from search.") % {"entity": entity})
            return redirect("search_policy:entities")
    return render(
        request, "search_policy/form.html", {"form": form, "title": _("Remove from search")}
    )


@require_http_methods(["GET", "POST"])
def allowed_new(request: HttpRequest) -> HttpResponse:
    require(_can_manage(request))
    form = AllowedTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, entry = call_for_form(
            form,
            lambda: allowlist.allowed_term_add(
                actor=signed_in_user(request), data=form.allowed_input()
            ),
        )
        if ok:
            messages.success(request, _("Term #%(id)s allowed.") % {"id": entry.pk})
            return redirect("search_policy:allowed")
    return render(
        request, "search_policy/form.html", {"form": form, "title": _("Allow a search term")}
    )


def _step_up(request: HttpRequest, done: str) -> HttpResponse:
    """Nothing is written: the user confirms it is them, then comes back to the list."""
    messages.warning(
        request, _("Removing a search policy entry needs a fresh confirmation that it is you.")
    )
    return redirect(f"{reverse('accounts:reauth')}?{urlencode({'next': reverse(done)})}")


def _remove(
    request: HttpRequest, call: Callable[[str, int | None], object], done: str
) -> HttpResponse:
    at = reauth.reauthenticated_at(request)
    if not reauth.is_fresh(at):
        return _step_up(request, done)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the entry is removed."))
        return redirect(done)
    try:
        call(form.cleaned_data["reason"], at)
    except services.StepUpRequired:  # went stale between the check and the service
        return _step_up(request, done)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Entry removed."))
    return redirect(done)


@require_POST
def term_remove(request: HttpRequest, term_id: int) -> HttpResponse:
    require(_can_manage(request))
    get_object_or_404(BlockedTerm.objects.only("pk"), pk=term_id)
    actor = signed_in_user(request)
    return _remove(
        request,
        lambda reason, at: services.term_remove(
            actor=actor, term_id=term_id, reason=reason, reauthenticated_at=at
        ),
        "search_policy:home",
    )


@require_POST
def entity_relist(request: HttpRequest, entity_id: int) -> HttpResponse:
    require(_can_manage(request))
    get_object_or_404(DelistedEntity.objects.only("pk"), pk=entity_id)
    actor = signed_in_user(request)
    return _remove(
        request,
        lambda reason, at: services.entity_relist(
            actor=actor, entity_id=entity_id, reason=reason, reauthenticated_at=at
        ),
        "search_policy:entities",
    )


@require_POST
def allowed_remove(request: HttpRequest, allowed_id: int) -> HttpResponse:
    require(_can_manage(request))
    get_object_or_404(AllowedTerm.objects.only("pk"), pk=allowed_id)
    actor = signed_in_user(request)
    return _remove(
        request,
        lambda reason, at: allowlist.allowed_term_remove(
            actor=actor, allowed_id=allowed_id, reason=reason, reauthenticated_at=at
        ),
        "search_policy:allowed",
    )
