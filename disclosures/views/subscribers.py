"""
Subscriber data screens: find an account, see its phone number and IP records masked, and
unmask one value for a stated purpose (recorded as `pii.viewed`).

An unmasking names an open legal request whose targets include the account, or a reason
from a fixed list (then it counts against the user's hourly limit); the form offers both
in one list. A clear value reaches a page only as the answer to an unmasking: htmx swaps it into its
cell; without JavaScript it is carried, encrypted, through the session to the next page
load and shown that once. Every page here is marked no-store and noindex.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import reauth
from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.parsing import parse_id
from disclosures import crypto, permissions
from disclosures.exceptions import DisclosureError, InvalidRequest
from disclosures.masking import mask_ip, mask_phone
from disclosures.models import PiiUnmask, SubscriberIp, SubscriberPhone
from disclosures.selectors.subscribers import (
    IpCursor,
    accounts_find,
    subscriber_ip_page,
    subscriber_phone_get,
)
from disclosures.selectors.unmask import unmask_budget, unmask_requests_for_account
from disclosures.services.pii import FIELDS, PURPOSE_MAX_LENGTH, PURPOSE_MIN_LENGTH, pii_unmask
from moderation.models import PlatformAccount

REVEALED = "disclosures_pii_revealed"  # session key: unmaskings waiting to be shown once


def pii_page[V: Callable[..., HttpResponse]](view: V) -> V:
    """Responses that may hold personal data: never cached, never indexed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # Cache-Control: ..., no-store, private
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper  # type: ignore[return-value]


# --- Reads (what the pages show) ---------------------------------------------------------------


@dataclass
class PiiCell:
    """One maskable value on a page; `value` is set only right after it was unmasked."""

    field: str
    record_id: int
    masked: str
    value: str | None = None
    purpose: str = ""
    basis: str = ""
    error: str = ""


@dataclass
class IpRow:
    cell: PiiCell
    port: int | None
    seen_at: datetime


# --- Forms -------------------------------------------------------------------------------------


class LookupForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Platform account id or username"),
        max_length=64,
        strip=True,
    )


class UnmaskForm(forms.Form):
    """
    One unmasking. `basis` is the one list the page offers: "request:<id>" (an open
    request naming the account) or "reason:<code>" (PiiUnmask.Reason). A page that unmasks
    for a known request sends `request_id` instead. The service judges the basis and the
    purpose; the form only reads them.
    """

    field = forms.ChoiceField(choices=[(f, f) for f in FIELDS])
    record_id = forms.IntegerField(min_value=1)
    basis = forms.CharField(max_length=64, required=False, strip=True)
    request_id = forms.IntegerField(min_value=1, required=False)
    purpose = forms.CharField(required=False, strip=True)  # the service says what is wrong
    after = forms.CharField(max_length=64, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["reason"] = ""
        kind, _sep, value = (data.get("basis") or "").partition(":")
        request_id = parse_id(value)
        if kind == "request" and request_id:
            if data.get("request_id") not in (None, request_id):
                raise forms.ValidationError(_("Name one legal request only."))
            data["request_id"] = request_id
        elif kind == "reason" and value in PiiUnmask.Reason.values:
            data["reason"] = value
        elif data.get("basis"):
            raise forms.ValidationError(
                _("Choose an open legal request or a reason from the list.")
            )
        return data


# --- Views -------------------------------------------------------------------------------------


@require_GET
@pii_page
def subscriber_lookup(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    form = LookupForm(request.GET or None)
    accounts = accounts_find(query=form.cleaned_data["q"]) if form.is_valid() else None
    return render(
        request, "disclosures/subscribers/lookup.html", {"form": form, "accounts": accounts}
    )


def _revealed(request: HttpRequest, account_id: int) -> dict[tuple[str, int], tuple[str, str]]:
    """Unmaskings of this account waiting to be shown (taken out of the session: once)."""
    pending = request.session.get(REVEALED)
    if not pending:
        return {}
    mine = [p for p in pending if p.get("account") == account_id]
    if not mine:
        return {}
    request.session[REVEALED] = [p for p in pending if p.get("account") != account_id]
    shown = {}
    for entry in mine:
        try:
            value = crypto.decrypt(entry["token"])
        except (crypto.DecryptionFailed, KeyError, TypeError):
            continue
        shown[(entry.get("field"), entry.get("record"))] = (value, entry.get("purpose", ""))
    return shown


def _detail_context(
    request: HttpRequest,
    account_id: int,
    *,
    after: IpCursor | None,
    refused: tuple[str, int, str, str, str] | None = None,
) -> dict[str, Any]:
    account = get_object_or_404(
        PlatformAccount.objects.select_related("subscriber_phone"), pk=account_id
    )
    shown = _revealed(request, account.pk)

    def cell(field: str, record_id: int, clear: str) -> PiiCell:
        masked = mask_phone(clear) if field == "phone" else mask_ip(clear)
        made = PiiCell(field=field, record_id=record_id, masked=masked)
        if (field, record_id) in shown:
            made.value, made.purpose = shown[(field, record_id)]
        if refused and refused[:2] == (field, record_id):
            made.error, made.purpose, made.basis = refused[2], refused[3], refused[4]
        return made

    phone = subscriber_phone_get(account=account)
    records, following = subscriber_ip_page(account=account, after=after)
    phone_cell = cell("phone", phone.pk, phone.phone) if phone else None
    ips = [IpRow(cell("ip", r.pk, r.ip), r.port, r.seen_at) for r in records]
    placed = (phone_cell and phone_cell.error) or any(row.cell.error for row in ips)
    return {
        **_unmask_choices(request, account.pk),
        "account": account,
        "phone": phone_cell,
        "ips": ips,
        "after": after.encode() if after else "",
        "next_cursor": following.encode() if following else "",
        "unmask_error": refused[2] if refused and not placed else "",
        "purpose_min": PURPOSE_MIN_LENGTH,
        "purpose_max": PURPOSE_MAX_LENGTH,
    }


def _unmask_choices(request: HttpRequest, account_id: int) -> dict[str, Any]:
    """
    What an unmasking of this account may name, as the grouped options of the form's one
    list, and the user's hourly share without a request (2 queries).
    """
    if not permissions.can_unmask(request.user):
        return {}
    budget = unmask_budget(user=signed_in_user(request))
    requests = [
        (f"request:{r.pk}", f"{r.reference} ({r.get_status_display()})")
        for r in unmask_requests_for_account(account_id=account_id)
    ]
    reasons = [(f"reason:{value}", label) for value, label in PiiUnmask.Reason.choices]
    reasons_label = _("Reason, without a request (at most %(limit)d an hour)") % {
        "limit": budget.limit
    }
    options = [(_("Open request naming this account"), requests)] if requests else []
    return {"unmask_options": [*options, (reasons_label, reasons)], "unmask_budget": budget}


@require_GET
@vary_on_headers("HX-Request")
@pii_page
def subscriber_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    after = IpCursor.decode(request.GET.get("after"))
    context = _detail_context(request, account_id, after=after)
    template = "disclosures/subscribers/detail.html"
    if getattr(request, "htmx", False):
        template += "#ip-records"
    return render(request, template, context)


def _refusal_message(exc: DisclosureError) -> str:
    if isinstance(exc, InvalidRequest):
        return " ".join(message for messages in exc.errors.values() for message in messages)
    return str(exc.message)


def _masked_of(account_id: int, field: str, record_id: int) -> str:
    """The masked form of one record (to redraw its cell after a refusal), or a placeholder."""
    if field == "phone":
        phone = SubscriberPhone.objects.filter(account_id=account_id, pk=record_id).first()
        return mask_phone(phone.phone) if phone else "•••"
    ip = SubscriberIp.objects.filter(account_id=account_id, pk=record_id).only("ip").first()
    return mask_ip(ip.ip) if ip else "•••"


@require_POST
@pii_page
def subscriber_unmask(request: HttpRequest, account_id: int) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    account = get_object_or_404(PlatformAccount.objects.only("pk"), pk=account_id)
    if not reauth.is_fresh(reauth.reauthenticated_at(request)):
        return _unmask_needs_step_up(request, account.pk)
    form = UnmaskForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(error) for error in form.non_field_errors()) or _(
            "Choose a value to unmask and state the purpose."
        )
        return _unmask_refused(request, account.pk, form, message)
    data = form.cleaned_data
    try:
        value = pii_unmask(
            actor=signed_in_user(request),
            account_id=account.pk,
            field=data["field"],
            record_id=data["record_id"],
            purpose=data["purpose"],
            request_id=data["request_id"],
            reason=data["reason"],
        )
    except DisclosureError as exc:
        return _unmask_refused(request, account.pk, form, _refusal_message(exc))
    purpose = data["purpose"].strip()
    if getattr(request, "htmx", False):
        cell = render_to_string(
            "disclosures/_masked_value.html",
            {
                "account_id": account.pk,
                "field": data["field"],
                "record_id": data["record_id"],
                "request_id": data["request_id"],
                "masked": mask_phone(value) if data["field"] == "phone" else mask_ip(value),
                "pii_value": value,
                "pii_purpose": purpose,
            },
            request=request,
        )
        budget = render_to_string(  # the page's count of unmaskings left, swapped out of band
            "disclosures/subscribers/detail.html#unmask-budget",
            {"unmask_budget": unmask_budget(user=signed_in_user(request)), "oob": True},
            request=request,
        )
        response = HttpResponse(cell + budget)
        response["HX-Trigger"] = "pii-viewed"
        return response
    pending = request.session.get(REVEALED) or []
    pending.append(
        {
            "account": account.pk,
            "field": data["field"],
            "record": data["record_id"],
            "purpose": purpose,
            "token": crypto.encrypt(value),
        }
    )
    request.session[REVEALED] = pending[-20:]
    url = reverse("disclosures:subscriber", args=[account.pk])
    after = IpCursor.decode(data.get("after"))
    return redirect(f"{url}?after={after.encode()}" if after else url)


def _unmask_needs_step_up(request: HttpRequest, account_id: int) -> HttpResponse:
    """Nothing is read or written: the page comes back with a link to confirm it is you."""
    page = reverse("disclosures:subscriber", args=[account_id])
    confirm = f"{reverse('accounts:reauth')}?{urlencode({'next': page})}"
    messages.warning(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("Unmasking personal data needs a fresh confirmation that it is you."),
            confirm,
            _("Confirm it is you"),
        ),
    )
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = page
        return response
    return redirect(page)


def _unmask_refused(
    request: HttpRequest, account_id: int, form: UnmaskForm, message: str
) -> HttpResponse:
    """
    The refusal as a form error, status 200 (htmx swaps 200s only), with what was typed
    and chosen kept. Nothing was written (a refusal by the hourly limit was recorded by
    the service).
    """
    cleaned = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    field, record_id = cleaned.get("field"), cleaned.get("record_id")
    purpose = (request.POST.get("purpose") or "")[:PURPOSE_MAX_LENGTH]
    basis = (request.POST.get("basis") or "")[:64]
    if getattr(request, "htmx", False):
        if not (field and record_id):  # no cell to redraw: only a hand-made request
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return render(
            request,
            "disclosures/_masked_value.html",
            {
                **_unmask_choices(request, account_id),
                "account_id": account_id,
                "field": field,
                # A request fixed by the including page (not chosen in the list) stays fixed.
                "request_id": None if basis else cleaned.get("request_id"),
                "record_id": record_id,
                "masked": _masked_of(account_id, field, record_id),
                "pii_error": message,
                "pii_purpose": purpose,
                "pii_basis": basis,
            },
        )
    after = IpCursor.decode(request.POST.get("after"))
    refused = (field or "", record_id or 0, message, purpose, basis)
    context = _detail_context(request, account_id, after=after, refused=refused)
    return render(request, "disclosures/subscribers/detail.html", context)


urlpatterns = [
    path("subscribers/", subscriber_lookup, name="subscribers"),
    path("subscribers/<int:account_id>/", subscriber_detail, name="subscriber"),
    path("subscribers/<int:account_id>/unmask/", subscriber_unmask, name="subscriber_unmask"),
]
