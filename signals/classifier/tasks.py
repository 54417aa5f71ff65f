"""
Celery tasks of signals.classifier (imported by signals.tasks so the worker registers them):
thin interfaces that take ids and call the services.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def score_reports(*, report_ids: list[int]) -> int:
    """Score new reports with their category's active model (idempotent)."""
    from signals.classifier.scoring import reports_score

    return reports_score(report_ids=report_ids)


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700, ignore_result=True)
def train_models(*, category_id: int | None = None, actor_id: int | None = None) -> int:
    """Train one category's model, or every category's; returns how many versions went live."""
    from accounts.models import User
    from signals.classifier.training import models_train

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return models_train(category_id=category_id, actor=actor).activated


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700, ignore_result=True)
def retrain_models() -> int:
    """The scheduled retraining (beat: CLASSIFIER_RETRAIN_HOURS) of every category."""
    from signals.classifier.training import models_train

    return models_train(category_id=None, actor=None).activated
