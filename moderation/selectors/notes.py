"""Reading internal notes: oldest first, with their authors, in one query whatever their number."""

from __future__ import annotations

from django.db.models import F, Q

from moderation.models import CaseNote, ReplyTemplate


def notes_for_case(*, case_id: int) -> list[CaseNote]:
    """Every note of the case, those written on its appeals included."""
    return list(CaseNote.objects.filter(case_id=case_id).select_related("author").order_by("id"))


# --- Reply templates ------------------------------------------------------------------------

FALLBACK_LANGUAGE = "en"


def reply_templates_for_case(*, category_id: int, language: str) -> list[ReplyTemplate]:
    """
    The active templates the decision form offers: the case's category and the every-category
    ones, in the case's language, or in English when none is written in it. One query.
    """
    language = (language or FALLBACK_LANGUAGE).lower()
    rows = list(
        ReplyTemplate.objects.filter(
            Q(category_id=category_id) | Q(category__isnull=True),
            active=True,
            language__in={language, FALLBACK_LANGUAGE},
        ).order_by(F("shortcut").asc(nulls_last=True), "title", "id")
    )
    chosen = language if any(t.language == language for t in rows) else FALLBACK_LANGUAGE
    return [t for t in rows if t.language == chosen]


def reply_templates_for_seniors() -> list[ReplyTemplate]:
    """Every template, active first, for the seniors' list page. One query."""
    return list(
        ReplyTemplate.objects.select_related("category", "updated_by").order_by(
            "-active", "language", F("category__name").asc(nulls_first=True), "shortcut", "title"
        )
    )
