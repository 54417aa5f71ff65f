"""Adding internal notes on the case page and the appeal page (htmx swaps the notes in place)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import form_add_refusal
from moderation import permissions
from moderation.exceptions import ModerationError
from moderation.forms_notes import NoteForm
from moderation.models import Appeal, Case
from moderation.selectors import cases as case_selectors
from moderation.services import notes as note_services
from moderation.templatetags.moderation_tools import notes_context

NOTES_TEMPLATE = "moderation/notes/_notes.html"


def _note_response(
    request: HttpRequest,
    *,
    case: Case,
    appeal: Appeal | None,
    form: NoteForm,
    added: bool,
) -> HttpResponse:
    if getattr(request, "htmx", False):
        context = notes_context(
            user=request.user, case=case, appeal=appeal, form=None if added else form
        )
        response = render(request, NOTES_TEMPLATE, context)
        if added:
            response["HX-Trigger"] = "note-added"
        return response
    if added:
        messages.success(request, _("Note added."))
    else:
        messages.error(request, "; ".join(str(e) for e in form.errors.get("text", [])))
    if appeal is not None:
        return redirect(f"/moderation/appeals/{appeal.pk}/#case-notes")
    return redirect(f"/moderation/cases/{case.pk}/#case-notes")


def _add(request: HttpRequest, *, case: Case, appeal: Appeal | None) -> HttpResponse:
    form = NoteForm(request.POST)
    added = False
    if form.is_valid():
        try:
            note_services.case_note_add(
                case_id=case.pk,
                actor=signed_in_user(request),
                text=form.cleaned_data["text"],
                appeal_id=appeal.pk if appeal else None,
            )
            added = True
        except ModerationError as exc:
            form_add_refusal(form, exc)
    return _note_response(request, case=case, appeal=appeal, form=form, added=added)


@require_POST
def case_note_add(request: HttpRequest, case_id: int) -> HttpResponse:
    require(permissions.can_write_notes(request.user))
    try:
        case = case_selectors.case_for_page(case_id=case_id)
    except Case.DoesNotExist as exc:
        raise Http404 from exc
    # The case page's rule: who cannot open the case cannot note on it either.
    if not permissions.can_triage(request.user) and not case_selectors.visible_to_legal(case=case):
        raise Http404
    return _add(request, case=case, appeal=None)


@require_POST
def appeal_note_add(request: HttpRequest, appeal_id: int) -> HttpResponse:
    require(
        permissions.can_write_notes(request.user) and permissions.can_decide_appeals(request.user)
    )
    try:
        appeal = Appeal.objects.select_related("decision__case").get(pk=appeal_id)
    except Appeal.DoesNotExist as exc:
        raise Http404 from exc
    return _add(request, case=appeal.decision.case, appeal=appeal)


urlpatterns = [
    path("cases/<int:case_id>/notes/", case_note_add, name="case_note_add"),
    path("appeals/<int:appeal_id>/notes/", appeal_note_add, name="appeal_note_add"),
]
