"""
Periodic review of non-disclosure orders that have no end date.

A US §2705(b) order binds the platform "for such period as the court deems appropriate":
it may name no end date, and the notice owed to each user stays deferred for as long as it
applies. Nobody learns that such an order ended unless someone asks, so it is reviewed every
`NONDISCLOSURE_REVIEW_DAYS` days (the selector `nondisclosure_reviews_due` lists the reviews
due, for open and closed requests alike). A review records what the authority or the court
said: the order still applies, it now ends on a date, or it was lifted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import audit
from disclosures import permissions
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import LegalRequest
from disclosures.services.notices import notices_release_deferred
from disclosures.services.workflow import records_denials, request_lock, request_touch

if TYPE_CHECKING:
    from accounts.models import User

NOTE_MAX = 2000


class ReviewOutcome(models.TextChoices):
    STILL_IN_FORCE = "still_in_force", gettext_lazy("Still in force, still no end date")
    ENDS = "ends", gettext_lazy("Ends on a date the authority gave")
    LIFTED = "lifted", gettext_lazy("Lifted: it no longer applies")


def nondisclosure_end_error(expires: datetime, *, now: datetime) -> str | None:
    """Why `expires` cannot be the end of a non-disclosure order, or None if it can."""
    if timezone.is_naive(expires):
        return _("The end date needs a time zone.")
    if expires <= now:
        return _("The end date must be in the future.")
    return None


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _clean(
    legal_request: LegalRequest,
    *,
    outcome: str,
    note: str,
    expires_at: datetime | None,
    now: datetime,
) -> str:
    """Every problem with the review at once (InvalidRequest); returns the stripped note."""
    errors: dict[str, list[str]] = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("Choose the outcome of the review.")]
    elif legal_request.nondisclosure == LegalRequest.NonDisclosure.NONE:
        errors["outcome"] = [_("This request has no non-disclosure order to review.")]
    elif outcome != ReviewOutcome.LIFTED and not legal_request.has_indefinite_nondisclosure:
        errors["outcome"] = [
            _("This order already has an end date: only its lifting can be recorded.")
        ]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Say what the review found, and on what authority.")]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(n)d characters.") % {"n": NOTE_MAX}]
    if outcome == ReviewOutcome.ENDS:
        if expires_at is None:
            errors["expires_at"] = [_("Give the date the order ends.")]
        elif error := nondisclosure_end_error(expires_at, now=now):
            errors["expires_at"] = [error]
    elif expires_at is not None:
        errors["expires_at"] = [_("An end date goes only with the outcome that the order ends.")]
    if errors:
        raise InvalidRequest(errors)
    return note


@records_denials
def nondisclosure_review(
    *,
    request_id: int,
    actor: User,
    outcome: str,
    note: str,
    expires_at: datetime | None = None,
    expected_version: int | None = None,
) -> LegalRequest:
    """
    Record the periodic review of a non-disclosure order without an end date.

    `still_in_force` confirms it (the next review falls due a period later), `ends` gives it
    the end date the authority set, `lifted` ends it now (also for an order with an end
    date). Bad input raises InvalidRequest and writes nothing. The note (the reason) is kept
    on the request; the audit trail gets its keyed hash, never the text.
    """
    if not permissions.can_prepare(actor):
        raise NotPermitted
    now = timezone.now()
    with transaction.atomic(durable=True):
        request = request_lock(request_id=request_id, expected_version=expected_version)
        note = _clean(request, outcome=outcome, note=note, expires_at=expires_at, now=now)
        reviewed = request.nondisclosure
        previous_expiry = request.nondisclosure_expires_at
        if outcome == ReviewOutcome.LIFTED:
            request.nondisclosure = LegalRequest.NonDisclosure.NONE
            request.nondisclosure_expires_at = None
        elif outcome == ReviewOutcome.ENDS:
            assert expires_at is not None
            request.nondisclosure_expires_at = expires_at.astimezone(UTC)
        request.nondisclosure_reviewed_at = now
        request.nondisclosure_review_note = note
        request_touch(
            legal_request=request,
            fields=(
                "nondisclosure",
                "nondisclosure_expires_at",
                "nondisclosure_reviewed_at",
                "nondisclosure_review_note",
            ),
        )
        next_due = (
            now + timedelta(days=settings.NONDISCLOSURE_REVIEW_DAYS)
            if outcome == ReviewOutcome.STILL_IN_FORCE
            else None
        )
        audit.record(
            action="request.nondisclosure_reviewed",
            actor=actor,
            target=request,
            data={
                "outcome": outcome,
                "nondisclosure": reviewed,
                "previous_expires_at": _iso(previous_expiry),
                "expires_at": _iso(request.nondisclosure_expires_at),
                "reviewed_at": _iso(now),
                "next_review_due_at": _iso(next_due),
                "note_hash": audit.pii_digest(note),
                "version": request.version,
            },
        )
    if outcome != ReviewOutcome.STILL_IN_FORCE:
        # What holds the users' notices back changed: re-assess them at once, so a lifted
        # order's notices go out now and an order's new end date shows on them. The
        # re-assessment is its own durable transaction (it locks the request and the
        # notices, and the beat task calls it on its own), so it cannot join the one above
        # and runs right after that one committed. Should it fail, the review stands and
        # the beat task (`notices_send_due`) re-assesses the notices on its next run.
        notices_release_deferred(request_id=request.pk, now=timezone.now())
    return request
