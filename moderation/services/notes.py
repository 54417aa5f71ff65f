"""
Internal notes on cases and appeals: staff-only, append-only. No service edits or deletes a
note, so the record of what was known when stays as it was written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

import audit
from core.errors import InvalidInput
from moderation import permissions
from moderation.exceptions import ModerationError, NotAllowed
from moderation.models import Appeal, Case, CaseNote

if TYPE_CHECKING:
    from accounts.models import User

NOTE_MAX_LENGTH = 4000


class InvalidNote(ModerationError, InvalidInput):
    summary = "The note is not valid"


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidNote({"text": ["Write the note before adding it."]})
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidNote(
            {
                "text": [
                    f"A note has at most {NOTE_MAX_LENGTH:,} characters "
                    f"(this one has {len(text):,})."
                ]
            }
        )
    return text


@transaction.atomic(durable=True)
def case_note_add(
    *, case_id: int, actor: User, text: str, appeal_id: int | None = None
) -> CaseNote:
    """
    Append a note to a case (or to one of its appeals). The audit event keeps the note's id
    and length only: the trail goes to outside auditors, and a note may name people.
    """
    if not permissions.can_write_notes(actor):
        raise NotAllowed("Your role does not allow writing notes.")
    text = _clean_text(text)
    case = Case.objects.get(pk=case_id)
    appeal = None
    if appeal_id is not None:
        appeal = Appeal.objects.select_related("decision").get(pk=appeal_id)
        if appeal.decision.case_id != case.pk:
            raise Appeal.DoesNotExist
    note = CaseNote.objects.create(case=case, appeal=appeal, author=actor, text=text)
    data: dict[str, int] = {"note": note.pk, "length": len(text)}
    if appeal is not None:
        data["appeal"] = appeal.pk
    audit.record(action="case.note_added", actor=actor, target=case, data=data)
    return note
