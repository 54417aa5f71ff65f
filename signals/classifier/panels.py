"""
The case-page panel of signals.classifier (registered in signals.apps): the text model's score
of the case's newest scored report, its version, its mode, and the terms that drove it. Built
from the signals the case page already loaded: no query of its own (the permission check for
the link may read the user's permissions once per request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moderation.models import CaseSignal
from signals.classifier import permissions
from signals.classifier.scoring import DETECTOR_KIND

if TYPE_CHECKING:
    from django.http import HttpRequest

    from moderation.selectors.cases import CaseContext


@dataclass(frozen=True)
class ModelScore:
    signal: CaseSignal
    version_id: int | None
    terms: list[tuple[str, float]]
    reports: int  # how many of the case's reports this model scored


def _terms(details: dict[str, Any]) -> list[tuple[str, float]]:
    terms = []
    for item in details.get("terms") or []:
        if isinstance(item, list | tuple) and len(item) == 2:
            try:
                terms.append((str(item[0]), float(item[1])))
            except (TypeError, ValueError):
                continue
    return terms


def case_panel(request: HttpRequest, ctx: CaseContext) -> dict[str, Any] | None:
    """The panel's context, or None when no text model scored this case."""
    by_detector: dict[str, list[CaseSignal]] = {}
    for signal in ctx.signals:
        if signal.kind == CaseSignal.Kind.CLASSIFIER and signal.detector.startswith(
            f"{DETECTOR_KIND}:"
        ):
            by_detector.setdefault(signal.detector, []).append(signal)
    if not by_detector:
        return None
    scores = []
    for detector in sorted(by_detector):
        signals = by_detector[detector]
        newest = max(signals, key=lambda s: s.pk)
        version_id = newest.details.get("model_version")
        scores.append(
            ModelScore(
                signal=newest,
                version_id=version_id if isinstance(version_id, int) else None,
                terms=_terms(newest.details),
                reports=len({s.report_id for s in signals}),
            )
        )
    return {"scores": scores, "link": permissions.can_view_models(request.user)}
