"""
Writes of hash matching: a report's media matched against the banks becomes a "hash_match"
signal on its case (through moderation's `case_signals_add`, which re-scores the case).

Matching runs three ways, all idempotent: the task published when reports arrive, the task
published when media arrives after its report, and the relay, which walks reports beyond the
match cursor so a report is matched even if its task was lost with the broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from moderation.detectors import detector_key
from moderation.models import CaseSignal, Decision, Media, Report
from moderation.services.signals import SignalFound, case_signals_add_new
from signals.cursors import reports_beyond_cursor
from signals.matching import PDQ_QUALITY_THRESHOLD, TRANSFORM_LABELS, BankHit, match_media_batch
from signals.models import BankedHash

ACTION = "signals.bank_matched"
CURSOR_NAME = "reports"
CURSOR_BATCH = 500
# The relay leaves the newest reports to their own task, and waits for slower transactions:
# ids are handed out before commit, so a report with a smaller id can commit after a larger
# one. A report older than this is assumed committed, and the cursor can pass it.
CURSOR_GRACE = timedelta(minutes=1)
# A near match within a bank's threshold is strong evidence: never score it below this.
PDQ_MIN_SCORE = 80
# Held reports (subject cleared recently, reporter muted) are not matched: a signal would weigh
# in a priority they must stay out of, and a muted reporter's report may have no case at all.
MATCHABLE = {"held": "", "case__isnull": False}
# What a report says of its media: the bytes' SHA-256, and the PDQ the platform may send instead.
REPORT_MEDIA = ("pk", "media_sha256", "media_pdq", "media_pdq_quality")


def hit_score(hit: BankHit) -> int:
    """
    100 for an exact hash (MD5, SHA-256, or PDQ at distance 0); otherwise the share of the
    256 PDQ bits that agree, at least PDQ_MIN_SCORE (distance 31, the default threshold,
    scores 88).
    """
    if hit.signal_type != BankedHash.SignalType.PDQ:
        return 100
    return max(PDQ_MIN_SCORE, round(100 * (1 - hit.distance / 256)))


def reports_match(*, report_ids: Iterable[int]) -> int:
    """Match the reports' media against the banks; returns how many signals were added."""
    reports = list(
        Report.objects.filter(pk__in=list(report_ids), **MATCHABLE)
        .exclude(media_sha256="", media_pdq="")
        .order_by("pk")
        .values_list(*REPORT_MEDIA)
    )
    return _match(reports)


def media_match(*, media_id: int) -> int:
    """Media that arrived after its reports: match every report that references it."""
    sha256 = Media.objects.filter(pk=media_id).values_list("sha256", flat=True).first()
    if sha256 is None:
        return 0
    reports = list(
        Report.objects.filter(media_sha256=sha256, **MATCHABLE)
        .order_by("pk")
        .values_list(*REPORT_MEDIA)
    )
    return _match(reports)


def cursor_match(*, now: datetime, batch: int = CURSOR_BATCH) -> int:
    """Match up to `batch` reports beyond the cursor (the relay's share); signals added."""
    return reports_beyond_cursor(
        name=CURSOR_NAME,
        now=now,
        grace=CURSOR_GRACE,
        batch=batch,
        handle=lambda ids: reports_match(report_ids=ids),
    )


def _platform_pdq_media(report_id: int, sha256: str, pdq: str, quality: int | None) -> Media:
    """
    A stand-in (never saved) for media the platform keeps itself and sent only the PDQ of:
    matched like received media. Unknown quality is taken as usable (the platform vouches for
    its hash); a quality it gives below PDQ's threshold is not matched.
    """
    return Media(
        pk=-report_id,  # never a real id: hits come back keyed by it
        sha256=sha256 or f"pdq:{pdq}",  # seeds the rollout coin flip, as a sha256 would
        md5="",
        pdq=pdq,
        pdq_quality=PDQ_QUALITY_THRESHOLD if quality is None else quality,
    )


def _match(reports: list[tuple[int, str, str, int | None]]) -> int:
    if not reports:
        return 0
    medias = list(
        Media.objects.filter(sha256__in={sha for _, sha, _, _ in reports if sha}).order_by("pk")
    )
    received = {m.sha256 for m in medias}
    # Reports whose media never arrived here but whose PDQ the platform sent.
    platform = [
        _platform_pdq_media(report_id, sha, pdq, quality)
        for report_id, sha, pdq, quality in reports
        if pdq and sha not in received
    ]
    hits = match_media_batch(medias + platform)
    by_sha = {m.sha256: hits[m.pk] for m in medias}
    pairs = [
        (report_id, hit)
        for report_id, sha, _, _ in reports
        for hit in (by_sha.get(sha, []) if sha in received else hits.get(-report_id, []))
    ]
    if not pairs:
        return 0
    decision_cases = dict(
        Decision.objects.filter(
            pk__in={h.source_decision_id for _, h in pairs if h.source_decision_id}
        ).values_list("pk", "case_id")
    )
    found = [
        SignalFound(
            report_id=report_id,
            kind=CaseSignal.Kind.HASH_MATCH,
            name=hit.bank.name,
            label=hit.bank.category.name if hit.bank.category else "known media",
            score=hit_score(hit),
            matched_hash=hit.banked_hash.value,
            detector=detector_key("bank", hit.bank.name),
            details={
                "bank": hit.bank.name,
                "banked_hash": hit.banked_hash.pk,
                "signal_type": hit.signal_type,
                "distance": hit.distance,
                "decision": hit.source_decision_id,
                "decision_case": decision_cases.get(hit.source_decision_id or 0),
                # Which rotation or flip of the reported copy matched (PDQ); "original" else.
                "transform": hit.transform,
                "transform_label": TRANSFORM_LABELS[hit.transform],
            },
        )
        for report_id, hit in pairs
    ]
    return _signals_add_new(found)


def _signals_add_new(found: list[SignalFound]) -> int:
    """Add the matches not stored yet: one per (report, bank, matched hash)."""
    return len(
        case_signals_add_new(
            found=found,
            action=ACTION,
            kind=CaseSignal.Kind.HASH_MATCH,
            identity=("report_id", "name", "matched_hash"),
        )
    )
