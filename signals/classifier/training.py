"""
Training runs over categories: each category trained in its own transaction (one failing
spares the rest), and the open cases scored again by every version that went live.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moderation.models import Category
from signals.classifier import scoring
from signals.classifier.services import TrainOutcome, model_train
from signals.models import ModelVersion

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass
class TrainingRun:
    outcomes: list[TrainOutcome] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # category codes whose training raised
    scored: int = 0  # signals added to open cases by the versions that went live

    @property
    def activated(self) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.version is not None and o.version.status == ModelVersion.Status.ACTIVE
        )


def models_train(*, category_id: int | None, actor: User | None) -> TrainingRun:
    categories = Category.objects.order_by("sort_order", "pk")
    if category_id is not None:
        categories = categories.filter(pk=category_id)
    run = TrainingRun()
    for category in categories:
        try:
            outcome = model_train(category_id=category.pk, actor=actor)
        except Exception:
            logger.exception("Training the %s model failed.", category.code)
            run.failed.append(category.code)
            continue
        run.outcomes.append(outcome)
        if outcome.version is not None and outcome.version.status == ModelVersion.Status.ACTIVE:
            run.scored += scoring.open_reports_score(category_id=category.pk)
    return run
