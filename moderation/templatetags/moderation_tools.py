"""
The moderator tools on the case and appeal pages: internal notes and the reply-template picker.
Tags, so that both pages (and the decision partial the decide view re-renders) get them
without their views having to know.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from moderation import permissions
from moderation.forms_notes import NoteForm
from moderation.models import Appeal, Case, ReplyTemplate
from moderation.selectors import notes as note_selectors

register = template.Library()


def notes_context(
    *, user: Any, case: Case, appeal: Appeal | None = None, form: NoteForm | None = None
) -> dict[str, Any]:
    """What `moderation/notes/_notes.html` needs; the note views render it after a post."""
    url = (
        reverse("moderation:appeal_note_add", args=[appeal.pk])
        if appeal is not None
        else reverse("moderation:case_note_add", args=[case.pk])
    )
    return {
        "notes": note_selectors.notes_for_case(case_id=case.pk),
        "note_form": form or NoteForm(),
        "note_url": url,
        "can_write_notes": permissions.can_write_notes(user),
    }


@register.inclusion_tag("moderation/notes/_notes.html", takes_context=True)
def case_notes(context: template.Context, case: Case, appeal: Appeal | None = None) -> dict:
    request = context["request"]
    if not permissions.can_read_notes(request.user):
        return {"hidden": True}
    return {
        **notes_context(user=request.user, case=case, appeal=appeal),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def reply_templates_for(case: Case) -> list[ReplyTemplate]:
    """The decision form's templates for this case's category and language (fallback: en)."""
    return note_selectors.reply_templates_for_case(
        category_id=case.category_id, language=case.language
    )
