"""The registry of authorities: list, detail with contacts and history, and its changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import form_add_refusal
from disclosures import permissions
from disclosures.exceptions import DisclosureError
from disclosures.forms_authorities import AuthorityForm, AuthorityStatusForm, ContactForm
from disclosures.models import Authority
from disclosures.selectors import authorities as authority_selectors
from disclosures.services import authorities as authority_services


def _authority_or_404(authority_id: int) -> Authority:
    try:
        return authority_selectors.authority_get(authority_id=authority_id)
    except Authority.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
def authority_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    country = request.GET.get("country", "").strip()[:2]
    status = request.GET.get("status", "")
    if status not in Authority.Status.values:
        status = ""
    return render(
        request,
        "disclosures/authorities/list.html",
        {
            "authorities": authority_selectors.authority_list(country=country, status=status),
            "country": country.upper(),
            "status": status,
            "statuses": Authority.Status.choices,
            "can_manage": permissions.can_manage_authorities(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def authority_new(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_authorities(request.user))
    form = AuthorityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            authority = authority_services.authority_create(
                actor=signed_in_user(request), data=form.to_input()
            )
        except DisclosureError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(request, _("Authority added to the registry."))
            return redirect("disclosures:authority", authority_id=authority.pk)
    return render(request, "disclosures/authorities/form.html", {"form": form, "authority": None})


def _detail_context(
    request: HttpRequest,
    authority: Authority,
    contact_form: ContactForm | None = None,
    status_form: AuthorityStatusForm | None = None,
) -> dict[str, Any]:
    return {
        "authority": authority,
        "contacts": authority_selectors.authority_contacts(authority=authority),
        "history": authority_selectors.authority_requests(authority=authority),
        "history_size": authority_selectors.HISTORY_SIZE,
        "can_manage": permissions.can_manage_authorities(request.user),
        "contact_form": contact_form or ContactForm(),
        "status_form": status_form or AuthorityStatusForm(),
    }


@require_GET
@never_cache
def authority_detail(request: HttpRequest, authority_id: int) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    authority = _authority_or_404(authority_id)
    return render(
        request, "disclosures/authorities/detail.html", _detail_context(request, authority)
    )


@require_http_methods(["GET", "POST"])
def authority_edit(request: HttpRequest, authority_id: int) -> HttpResponse:
    require(permissions.can_manage_authorities(request.user))
    authority = _authority_or_404(authority_id)
    if request.method == "POST":
        form = AuthorityForm(request.POST)
        if form.is_valid():
            try:
                authority_services.authority_update(
                    authority_id=authority.pk, actor=signed_in_user(request), data=form.to_input()
                )
            except DisclosureError as exc:
                form_add_refusal(form, exc)
            else:
                messages.success(request, _("Authority updated."))
                return redirect("disclosures:authority", authority_id=authority.pk)
    else:
        form = AuthorityForm.for_authority(authority)
    return render(
        request, "disclosures/authorities/form.html", {"form": form, "authority": authority}
    )


@require_POST
def authority_contact_add(request: HttpRequest, authority_id: int) -> HttpResponse:
    require(permissions.can_manage_authorities(request.user))
    authority = _authority_or_404(authority_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            authority_services.authority_contact_add(
                authority_id=authority.pk, actor=signed_in_user(request), data=form.to_input()
            )
        except DisclosureError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(request, _("Contact channel recorded."))
            return redirect("disclosures:authority", authority_id=authority.pk)
    return render(
        request,
        "disclosures/authorities/detail.html",
        _detail_context(request, authority, contact_form=form),
    )


@require_POST
def authority_status(request: HttpRequest, authority_id: int) -> HttpResponse:
    """Suspend the authority (new requests refused) or verify it again."""
    require(permissions.can_manage_authorities(request.user))
    authority = _authority_or_404(authority_id)
    form = AuthorityStatusForm(request.POST)
    if form.is_valid():
        try:
            authority = authority_services.authority_set_status(
                authority_id=authority.pk,
                actor=signed_in_user(request),
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except DisclosureError as exc:
            form_add_refusal(form, exc)
        else:
            if authority.status == Authority.Status.SUSPENDED:
                messages.success(request, _("Authority suspended: its requests are refused."))
            else:
                messages.success(request, _("Authority verified."))
            return redirect("disclosures:authority", authority_id=authority.pk)
    return render(
        request,
        "disclosures/authorities/detail.html",
        _detail_context(request, authority, status_form=form),
    )


urlpatterns = [
    path("authorities/", authority_list, name="authorities"),
    path("authorities/new/", authority_new, name="authority_new"),
    path("authorities/<int:authority_id>/", authority_detail, name="authority"),
    path("authorities/<int:authority_id>/edit/", authority_edit, name="authority_edit"),
    path(
        "authorities/<int:authority_id>/contacts/",
        authority_contact_add,
        name="authority_contact_add",
    ),
    path("authorities/<int:authority_id>/status/", authority_status, name="authority_status"),
]
