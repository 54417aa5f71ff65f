"""
Muting a reporter who files in bad faith, and lifting the mute.

A muted reporter's new reports are still stored (statistics and transparency counts keep
them), but held: they never queue a subject nor weigh in a priority (see intake_holds).
Muting is a senior's call, always with a reason, always in the audit trail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

import audit
from moderation import permissions
from moderation.exceptions import ModerationError, NotAllowed
from moderation.models import Reporter

if TYPE_CHECKING:
    from accounts.models import User

MUTE_REASON_MAX = Reporter._meta.get_field("mute_reason").max_length or 300


class ReporterMuteRefused(ModerationError):
    pass


def _reason_checked(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise ReporterMuteRefused("Say why: a reason is required.")
    if len(cleaned) > MUTE_REASON_MAX:
        raise ReporterMuteRefused(f"The reason is too long (at most {MUTE_REASON_MAX} characters).")
    return cleaned


def _locked(reporter_id: int) -> Reporter:
    try:
        return Reporter.objects.select_for_update().get(pk=reporter_id)
    except Reporter.DoesNotExist:
        raise ReporterMuteRefused("No such reporter.") from None


@transaction.atomic(durable=True)
def reporter_mute(*, reporter_id: int, actor: User, reason: str) -> Reporter:
    """Mute the reporter from now on; their earlier reports stay where they are."""
    if not permissions.can_mute_reporters(actor):
        raise NotAllowed("Only senior moderators may mute a reporter.")
    cleaned = _reason_checked(reason)
    reporter = _locked(reporter_id)
    if reporter.muted_at is not None:
        raise ReporterMuteRefused("This reporter is already muted.")
    reporter.muted_at = timezone.now()
    reporter.muted_by = actor
    reporter.mute_reason = cleaned
    reporter.save(update_fields=["muted_at", "muted_by", "mute_reason"])
    # The reason is staff's own words about a pseudonymous reporter: no platform PII.
    audit.record(action="reporter.muted", actor=actor, target=reporter, data={"reason": cleaned})
    return reporter


@transaction.atomic(durable=True)
def reporter_unmute(*, reporter_id: int, actor: User, reason: str) -> Reporter:
    """Lift the mute: their next reports queue again. Held reports stay held (already judged)."""
    if not permissions.can_mute_reporters(actor):
        raise NotAllowed("Only senior moderators may unmute a reporter.")
    cleaned = _reason_checked(reason)
    reporter = _locked(reporter_id)
    if reporter.muted_at is None:
        raise ReporterMuteRefused("This reporter is not muted.")
    was = {"muted_at": reporter.muted_at.isoformat(), "muted_by": reporter.muted_by_id}
    reporter.muted_at = None
    reporter.muted_by = None
    reporter.mute_reason = ""
    reporter.save(update_fields=["muted_at", "muted_by", "mute_reason"])
    audit.record(
        action="reporter.unmuted", actor=actor, target=reporter, data={"reason": cleaned, **was}
    )
    return reporter
