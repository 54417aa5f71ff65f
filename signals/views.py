"""Hash bank screens: the list, a bank and its hashes, settings, imports, and "bank it"."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import call_for_form
from moderation.models import Decision
from signals import permissions, selectors, services
from signals.forms import BankCreateForm, BankItForm, BankSettingsForm, HashImportForm
from signals.models import BankedHash, HashBank

DETAIL_TEMPLATE = "signals/bank_detail.html"
# How many of an import's bad lines the page lists (all of them are counted).
SHOWN_IMPORT_ERRORS = 200


def _bank_or_404(bank_id: int) -> HashBank:
    try:
        return selectors.bank_by_id(bank_id=bank_id)
    except HashBank.DoesNotExist as exc:
        raise Http404 from exc


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@require_GET
def bank_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_hash_banks(request.user))
    banks = selectors.bank_list()
    return render(
        request,
        "signals/bank_list.html",
        {
            "rows": [(bank, selectors.type_counts(bank)) for bank in banks],
            "signal_types": BankedHash.SignalType.choices,
            "can_manage": permissions.can_manage_hash_banks(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def bank_new(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_hash_banks(request.user))
    form = BankCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, bank = call_for_form(
            form,
            lambda: services.bank_create(
                name=form.cleaned_data["name"], actor=signed_in_user(request), **form.settings()
            ),
        )
        if ok:
            messages.success(request, _("Hash bank %(name)s created.") % {"name": bank.name})
            return redirect("signals:bank", bank_id=bank.pk)
    return render(request, "signals/bank_form.html", {"form": form, "bank": None})


@require_GET
@vary_on_headers("HX-Request")
def bank_detail(request: HttpRequest, bank_id: int) -> HttpResponse:
    require(permissions.can_view_hash_banks(request.user))
    try:
        bank = selectors.bank_detail(bank_id=bank_id)
    except HashBank.DoesNotExist as exc:
        raise Http404 from exc
    after = selectors.HashCursor.decode(request.GET.get("cursor"))
    page = selectors.bank_hashes_page(bank=bank, after=after, limit=selectors.HASH_PAGE_SIZE)
    template = DETAIL_TEMPLATE
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "hash-table":
        template += "#hash-table"
    return render(
        request,
        template,
        {
            "bank": bank,
            "counts": selectors.type_counts(bank),
            "page": page,
            "first_page": after is None,
            "can_manage": permissions.can_manage_hash_banks(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def bank_settings(request: HttpRequest, bank_id: int) -> HttpResponse:
    require(permissions.can_manage_hash_banks(request.user))
    bank = _bank_or_404(bank_id)
    form = BankSettingsForm(request.POST or None, initial=BankSettingsForm.initial_for(bank))
    if request.method == "POST" and form.is_valid():
        ok, _result = call_for_form(
            form,
            lambda: services.bank_update(
                bank_id=bank_id, actor=signed_in_user(request), **form.settings()
            ),
        )
        if ok:
            messages.success(request, _("Settings saved."))
            return redirect("signals:bank", bank_id=bank_id)
    return render(request, "signals/bank_form.html", {"form": form, "bank": bank})


@require_http_methods(["GET", "POST"])
def bank_import(request: HttpRequest, bank_id: int) -> HttpResponse:
    require(permissions.can_manage_hash_banks(request.user))
    bank = _bank_or_404(bank_id)
    form = HashImportForm(request.POST or None, request.FILES or None)
    line_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.hashes_import(
                bank=bank, text=form.cleaned_data["hashes"], actor=signed_in_user(request)
            )
        except services.ImportRejected as exc:
            line_errors = [services.format_line_error(n, m) for n, m in exc.line_errors]
        else:
            messages.success(
                request,
                _(
                    "%(added)d hashes added; %(duplicates)d repeated in the file and "
                    "%(existing)d already in the bank were skipped."
                )
                % {
                    "added": result.added_total,
                    "duplicates": result.duplicates_in_file,
                    "existing": result.already_in_bank,
                },
            )
            return redirect("signals:bank", bank_id=bank_id)
    return render(
        request,
        "signals/bank_import.html",
        {
            "bank": bank,
            "form": form,
            "line_errors": line_errors[:SHOWN_IMPORT_ERRORS],
            "more_errors": max(0, len(line_errors) - SHOWN_IMPORT_ERRORS),
            "error_count": len(line_errors),
        },
    )


def _hash_toggle(request: HttpRequest, hash_id: int, *, disable: bool) -> HttpResponse:
    require(permissions.can_manage_hash_banks(request.user))
    actor = signed_in_user(request)
    try:
        if disable:
            services.hash_disable(hash_id=hash_id, actor=actor)
        else:
            services.hash_enable(hash_id=hash_id, actor=actor)
        banked = selectors.banked_hash_by_id(hash_id=hash_id)
    except BankedHash.DoesNotExist as exc:
        raise Http404 from exc
    if _is_htmx(request):
        response = render(
            request, DETAIL_TEMPLATE + "#hash-row", {"item": banked, "can_manage": True}
        )
        response["HX-Trigger"] = "banked-hash-changed"
        return response
    messages.success(request, _("Hash disabled.") if disable else _("Hash enabled again."))
    return redirect("signals:bank", bank_id=banked.bank_id)


@require_POST
def hash_disable(request: HttpRequest, hash_id: int) -> HttpResponse:
    return _hash_toggle(request, hash_id, disable=True)


@require_POST
def hash_enable(request: HttpRequest, hash_id: int) -> HttpResponse:
    return _hash_toggle(request, hash_id, disable=False)


@require_POST
def bank_it(request: HttpRequest, decision_id: int) -> HttpResponse:
    """From the case page: add the decision's media hashes to a bank, then back to the case."""
    require(permissions.can_manage_hash_banks(request.user))
    try:
        case_id = selectors.decision_case_id(decision_id=decision_id)
    except Decision.DoesNotExist as exc:
        raise Http404 from exc
    form = BankItForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the hash bank to add the media to."))
        return redirect("moderation:case", case_id=case_id)
    try:
        result = services.bank_it(
            decision_id=decision_id,
            bank_id=form.cleaned_data["bank"].pk,
            actor=signed_in_user(request),
        )
    except services.BankItRefused as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(added)d hashes added to %(bank)s (%(existing)d were already there).")
            % {
                "added": result.added_total,
                "bank": result.bank.name,
                "existing": result.already_in_bank,
            },
        )
    return redirect("moderation:case", case_id=case_id)
