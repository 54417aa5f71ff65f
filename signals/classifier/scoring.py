"""
Scoring new reports with the active model of their category: the score becomes a
"classifier" signal on the case (through moderation's `case_signals_add`, which applies the
detector's mode and re-scores the case), with the terms that drove it.

Scoring runs three ways, all idempotent (one signal per report and model version): the task
published when reports arrive, the relay walking reports beyond the "classifier" cursor (a
task lost with the broker), and a sweep of the open cases when a new version goes live.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from moderation.detectors import detector_key
from moderation.models import Case, CaseSignal, Report
from moderation.services.signals import SignalFound, case_signals_add_new
from signals.classifier import learning, selectors, storage
from signals.cursors import reports_beyond_cursor
from signals.matcher_service import CURSOR_BATCH, CURSOR_GRACE
from signals.models import ModelVersion

logger = logging.getLogger(__name__)

ACTION = "signals.model_scored"
CURSOR_NAME = "classifier"
DETECTOR_KIND = "model"


def signal_name(version: ModelVersion) -> str:
    """What the case page and the audit trail call the signal: "text-model spam v3"."""
    return f"text-model {version.category.code} v{version.version}"


def reports_score(*, report_ids: Iterable[int]) -> int:
    """Score the reports with their category's active model; returns the signals added."""
    active = selectors.active_versions()
    if not active:
        return 0  # nothing scores yet: the reports' texts are not even read
    rows = list(
        Report.objects.filter(
            pk__in=list(report_ids),
            category_id__in=list(active),
            case__isnull=False,
            held="",  # held reports weigh in no priority (moderation.services.intake_holds)
            evidence_purged_at__isnull=True,
        )
        .exclude(content_text="")
        .order_by("pk")
        .values_list("pk", "category_id", "content_text")
    )
    by_version: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for report_id, category_id, text in rows:
        if category_id in active:
            by_version[category_id].append((report_id, text))
    found: list[SignalFound] = []
    for category_id, reports in by_version.items():
        found += _score_with(active[category_id], reports)
    return _signals_add_new(found) if found else 0


def _score_with(version: ModelVersion, reports: list[tuple[int, str]]) -> list[SignalFound]:
    try:
        fitted = storage.model_load(version)
    except storage.ModelFileRefused:
        # A missing or altered file: log it loudly and score nothing rather than run it.
        logger.exception("Not scoring %s reports with %s.", len(reports), version)
        return []
    texts = [text for _, text in reports]
    probs = learning.probabilities(fitted.scorer, texts)
    return [
        SignalFound(
            report_id=report_id,
            kind=CaseSignal.Kind.CLASSIFIER,
            name=signal_name(version),
            label=version.category.name,
            score=round(prob * 100),
            detector=detector_key(DETECTOR_KIND, version.category.code),
            details={
                "model_version": version.pk,
                "version": version.version,
                "category": version.category.code,
                "threshold": version.metrics.get("threshold"),
                "terms": learning.explain(fitted.explainer, text),
            },
        )
        for (report_id, text), prob in zip(reports, probs, strict=True)
    ]


def _signals_add_new(found: list[SignalFound]) -> int:
    """Add the scores not stored yet: one per (report, model version)."""
    return len(
        case_signals_add_new(
            found=found,
            action=ACTION,
            kind=CaseSignal.Kind.CLASSIFIER,
            identity=("report_id", "name"),
        )
    )


def cursor_score(*, now: datetime, batch: int = CURSOR_BATCH) -> int:
    """Score up to `batch` reports beyond the "classifier" cursor (the relay's share)."""
    return reports_beyond_cursor(
        name=CURSOR_NAME,
        now=now,
        grace=CURSOR_GRACE,
        batch=batch,
        handle=lambda ids: reports_score(report_ids=ids),
    )


def open_reports_score(*, category_id: int) -> int:
    """Score the reports of the category's active cases (a new version went live)."""
    ids = list(
        Report.objects.filter(category_id=category_id, case__status__in=Case.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    added = 0
    for start in range(0, len(ids), CURSOR_BATCH):
        added += reports_score(report_ids=ids[start : start + CURSOR_BATCH])
    return added
