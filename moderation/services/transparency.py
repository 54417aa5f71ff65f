"""
Generating and publishing the moderation transparency report.

A period's report is a series of versions. The latest version, while a draft, is recomputed
in place when generated again; publishing freezes it for good (it is public from then on).
Generating after publication needs a correction note and makes a new draft version: every
published version stays as it was (Annex II §5: corrections are marked new versions).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

import audit
from moderation import transparency
from moderation.exceptions import ModerationError, NotAllowed
from moderation.models import TransparencyReport

if TYPE_CHECKING:
    from accounts.models import User

PERMISSION = "moderation.publish_transparency_report"
NOTE_MAX = 2000


class TransparencyRefused(ModerationError):
    pass


def can_publish(user: object) -> bool:
    has_perm = getattr(user, "has_perm", None)
    return bool(has_perm and has_perm(PERMISSION))


def _digest(figures: dict[str, object]) -> str:
    """Fingerprint of the figures, kept in the audit trail to show what was published."""
    return hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()


@transaction.atomic(durable=True)
def report_generate(
    *,
    start: date,
    end: date,
    actor: User | None,
    correction_note: str = "",
    today: date | None = None,
) -> TransparencyReport:
    """Compute the period's figures into its draft (new, recomputed, or a correction)."""
    if actor is not None and not can_publish(actor):
        raise NotAllowed("Only senior moderators and legal officers may generate the report.")
    try:
        period = transparency.period_checked(start, end, today=today or timezone.now().date())
    except transparency.PeriodError as exc:
        raise TransparencyRefused(str(exc)) from None
    note = correction_note.strip()
    if len(note) > NOTE_MAX:
        raise TransparencyRefused(
            f"The correction note is too long (at most {NOTE_MAX} characters)."
        )
    latest = (
        TransparencyReport.objects.select_for_update()
        .filter(period_start=period.start, period_end=period.end)
        .order_by("-version")
        .first()
    )
    figures = transparency.compute(period)
    now = timezone.now()
    if latest is not None and latest.published_at is None:
        latest.figures = figures
        latest.generated_at = now
        latest.generated_by = actor
        if note:
            latest.correction_note = note
        latest.save(update_fields=["figures", "generated_at", "generated_by", "correction_note"])
        report = latest
    else:
        if latest is not None and not note:
            raise TransparencyRefused(
                "This period's report is published. To correct it, say what the new version "
                "corrects: a correction note is required."
            )
        report = TransparencyReport.objects.create(
            period_start=period.start,
            period_end=period.end,
            version=(latest.version + 1) if latest else 1,
            figures=figures,
            generated_at=now,
            generated_by=actor,
            correction_note=note,
        )
    audit.record(
        action="transparency.generated",
        actor=actor,
        target=report,
        data={"period": period.label, "version": report.version, "sha256": _digest(figures)},
    )
    return report


@transaction.atomic(durable=True)
def report_publish(*, report_id: int, actor: User) -> TransparencyReport:
    """Publish a draft: it becomes public and never changes again."""
    if not can_publish(actor):
        raise NotAllowed("Only senior moderators and legal officers may publish the report.")
    try:
        report = TransparencyReport.objects.select_for_update().get(pk=report_id)
    except TransparencyReport.DoesNotExist:
        raise TransparencyRefused("No such report.") from None
    if report.published_at is not None:
        raise TransparencyRefused("This version is already published; it cannot change.")
    newer = TransparencyReport.objects.filter(
        period_start=report.period_start, period_end=report.period_end, version__gt=report.version
    ).exists()
    if newer:
        raise TransparencyRefused("A newer version of this period exists: publish that one.")
    report.published_at = timezone.now()
    report.published_by = actor
    report.save(update_fields=["published_at", "published_by"])
    audit.record(
        action="transparency.published",
        actor=actor,
        target=report,
        data={
            "period": report.figures.get("period", ""),
            "version": report.version,
            "sha256": _digest(report.figures),
        },
    )
    return report
