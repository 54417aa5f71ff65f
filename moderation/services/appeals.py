"""Appeals (DSA Art. 20): submission by the affected user; decisions by senior moderators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from moderation.exceptions import AppealRefused
from moderation.models import Appeal, Decision, Report


@dataclass(frozen=True)
class AppealInput:
    external_id: str
    decision_puid: str  # the statement's PUID, or "tsd-<decision uuid>" for any decision
    appellant_id: str
    reason: str
    submitted_at: datetime


def _decision_for(puid: str) -> Decision | None:
    uuid = puid.removeprefix("tsd-")
    try:
        return Decision.objects.select_related("case__subject__author").get(uuid=uuid)
    except (Decision.DoesNotExist, ValueError, Exception):  # a malformed uuid is "not found"
        return None


@transaction.atomic
def appeal_submit(*, item: AppealInput) -> tuple[Appeal, bool]:
    """
    Register an appeal; returns (appeal, created). Idempotent on external_id.

    Refused (AppealRefused, nothing written) when the decision is unknown or no longer in
    force, the appellant is neither the affected account nor one of the case's reporters,
    the window has closed, or another appeal on the decision is pending.
    """
    existing = Appeal.objects.filter(external_id=item.external_id).first()
    if existing:
        return existing, False
    decision = _decision_for(item.decision_puid)
    if decision is None:
        raise AppealRefused("No decision has this PUID.")
    if decision.status != Decision.Status.IN_FORCE:
        raise AppealRefused("This decision is no longer in force.")
    case = decision.case
    affected = case.subject.author.platform_id == item.appellant_id
    reporter = Report.objects.filter(case=case, reporter__platform_id=item.appellant_id).exists()
    if not (affected or reporter):
        raise AppealRefused("Only the affected account or a reporter of the case may appeal.")
    window_end = decision.created_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
    if item.submitted_at > window_end or timezone.now() > window_end:
        raise AppealRefused(f"The appeal window closed on {window_end:%Y-%m-%d}.")
    if item.submitted_at < decision.created_at:
        raise AppealRefused("The appeal is dated before the decision.")
    if not item.reason.strip():
        raise AppealRefused("Give the reasons for the appeal.")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                external_id=item.external_id,
                decision=decision,
                appellant_id=item.appellant_id,
                reason=item.reason.strip(),
                submitted_at=item.submitted_at,
            )
    except IntegrityError as exc:
        again = Appeal.objects.filter(external_id=item.external_id).first()
        if again:  # the same appeal sent twice at once
            return again, False
        raise AppealRefused("An appeal against this decision is already pending.") from exc
    audit.record(
        action="appeal.received",
        target=appeal,
        data={"decision": decision.pk, "by": "affected" if affected else "reporter"},
    )
    return appeal, True
