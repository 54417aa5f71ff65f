"""
Writes of the classifier: train a category's model on moderators' decisions, promote or reject
the new version, and queue a retraining someone asked for.

Training a category is serialised by a lock on its category row (FOR NO KEY UPDATE: intake's
foreign-key checks take KEY SHARE and are not blocked), so two workers never train the same
category at once, and the second one finds nothing new to learn.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from core.errors import InvalidTransition
from core.transitions import status_transition
from moderation.models import Category
from outbox.publish import publish
from signals.classifier import learning, selectors, storage
from signals.models import ModelVersion

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


class ModelVersionTransitionRefused(InvalidTransition):
    subject = "A model version"


@dataclass(frozen=True)
class TrainOutcome:
    category: Category
    version: ModelVersion | None = None
    skipped: str = ""  # why nothing was trained; "" when a version was made

    def describe(self) -> str:
        if self.version is None:
            return self.skipped
        metrics = self.version.metrics
        return _(
            "%(category)s: version %(version)s %(status)s (average precision %(ap)s on "
            "%(test)s held-out decisions, trained on %(train)s)."
        ) % {
            "category": self.category.name,
            "version": self.version.version,
            "status": self.version.get_status_display().lower(),
            "ap": metrics.get("average_precision"),
            "test": self.version.test_size,
            "train": self.version.train_size,
        }


def model_version_transition(
    *, version: ModelVersion, to: str, actor: User | None, data: dict[str, Any] | None = None
) -> ModelVersion:
    """
    The one way a version's status moves (the caller holds its category's lock). Activation
    is audited as `model.activated`, retirement as `model.retired`, rejection as
    `model.rejected`.
    """
    fields: tuple[str, ...] = ()
    if to == ModelVersion.Status.ACTIVE:
        version.activated_at = timezone.now()
        fields = ("activated_at",)
    previous = status_transition(
        version, to=to, fields=fields, refusal=ModelVersionTransitionRefused
    )
    audit.record(
        action=f"model.{to if to != ModelVersion.Status.ACTIVE else 'activated'}",
        actor=actor,
        target=version,
        data={
            "category": version.category.code,
            "version": version.version,
            "from": previous,
            **(data or {}),
        },
    )
    return version


def _decimal(value: float | None) -> str | None:
    """The audit trail stores no floats (their text is not canonical): a fixed-point string."""
    return None if value is None else f"{value:.4f}"


def _active_score_on(active: ModelVersion, texts: list[str], labels: list[int]) -> float | None:
    """The active model's average precision on the new held-out set; None if it cannot load."""
    try:
        fitted = storage.model_load(active)
    except storage.ModelFileRefused:
        logger.exception("The active model %s cannot be loaded to compare with.", active)
        return None
    probs = learning.probabilities(fitted.scorer, texts)
    return learning.evaluate(labels, probs, target_precision=0.5)["average_precision"]


@transaction.atomic(durable=True)
def model_train(*, category_id: int, actor: User | None = None) -> TrainOutcome:
    """
    Train a new version of the category's model on its labelled decisions, evaluate it on
    the newest ones held out, store its file, and make it active when it does at least as
    well as the active one on the same held-out decisions (otherwise it is rejected).
    Nothing is trained when data is short or no decision came since the last version.
    """
    category = Category.objects.select_for_update(no_key=True).get(pk=category_id)
    split = selectors.time_split(selectors.labelled_examples(category=category))
    refusal = selectors.training_refusal(split, category=category)
    if refusal:
        return TrainOutcome(category=category, skipped=refusal)
    latest = ModelVersion.objects.filter(category=category).order_by("-version").first()
    if (
        latest is not None
        and latest.labels_until == split.labels_until
        and latest.train_size + latest.test_size == len(split.all)
    ):
        return TrainOutcome(
            category=category,
            skipped=_("%(category)s: no new decisions since version %(version)s.")
            % {"category": category.name, "version": latest.version},
        )

    fitted = learning.fit([e.text for e in split.train], [e.label for e in split.train])
    test_texts, test_labels = [e.text for e in split.test], [e.label for e in split.test]
    target = settings.CLASSIFIER_TARGET_PRECISION_PERCENT / 100
    metrics = learning.evaluate(
        test_labels, learning.probabilities(fitted.scorer, test_texts), target_precision=target
    )
    active = (
        ModelVersion.objects.select_for_update()
        .filter(category=category, status=ModelVersion.Status.ACTIVE)
        .first()
    )
    if active is not None:
        metrics["compared_with"] = {
            "id": active.pk,
            "version": active.version,
            "average_precision": _active_score_on(active, test_texts, test_labels),
        }
    metrics["demo_examples"] = sum(1 for e in split.all if e.demo)

    number = (latest.version if latest else 0) + 1
    file_name = f"{category.code}-v{number}-{uuid.uuid4().hex[:12]}.joblib"
    sha256 = storage.model_save(fitted, file_name=file_name)
    try:
        version = _version_record(
            category=category,
            number=number,
            file_name=file_name,
            sha256=sha256,
            fitted=fitted,
            split=split,
            metrics=metrics,
            actor=actor,
        )
        _promote_or_reject(version=version, active=active, actor=actor)
    except BaseException:
        storage.model_delete(file_name=file_name)  # the row is rolled back: so is its file
        raise
    return TrainOutcome(category=category, version=version)


def _version_record(
    *,
    category: Category,
    number: int,
    file_name: str,
    sha256: str,
    fitted: learning.Fitted,
    split: selectors.Split,
    metrics: dict[str, Any],
    actor: User | None,
) -> ModelVersion:
    version = ModelVersion.objects.create(
        category=category,
        version=number,
        file_name=file_name,
        sha256=sha256,
        sklearn_version=fitted.sklearn_version,
        trained_by=actor,
        train_size=len(split.train),
        test_size=len(split.test),
        positives=split.positives,
        labels_until=split.labels_until,
        metrics=metrics,
    )
    audit.record(
        action="model.trained",
        actor=actor,
        target=version,
        data={
            "category": category.code,
            "version": number,
            "sha256": sha256,
            "train_size": version.train_size,
            "test_size": version.test_size,
            "average_precision": _decimal(metrics["average_precision"]),
        },
    )
    return version


def _promote_or_reject(
    *, version: ModelVersion, active: ModelVersion | None, actor: User | None
) -> None:
    new_ap = version.metrics["average_precision"]
    old_ap = (version.metrics.get("compared_with") or {}).get("average_precision")
    if active is not None and old_ap is not None and new_ap < old_ap:
        model_version_transition(
            version=version,
            to=ModelVersion.Status.REJECTED,
            actor=actor,
            data={
                "average_precision": _decimal(new_ap),
                "active_average_precision": _decimal(old_ap),
            },
        )
        return
    if active is not None:
        model_version_transition(
            version=active,
            to=ModelVersion.Status.RETIRED,
            actor=actor,
            data={"replaced_by": version.version},
        )
    model_version_transition(
        version=version,
        to=ModelVersion.Status.ACTIVE,
        actor=actor,
        data={
            "average_precision": _decimal(new_ap),
            "previous_average_precision": _decimal(old_ap),
        },
    )


@transaction.atomic(durable=True)
def retrain_request(*, category_id: int | None, actor: User) -> None:
    """Queue a retraining now (one category, or every one), audited as asked by `actor`."""
    category = Category.objects.get(pk=category_id) if category_id is not None else None
    audit.record(
        action="model.retrain_requested",
        actor=actor,
        target_type=Category._meta.label_lower if category else "",
        target_id=category.pk if category else "",
        data={"category": category.code if category else "all"},
    )
    from signals.classifier import tasks

    transaction.on_commit(
        lambda: publish(tasks.train_models, category_id=category_id, actor_id=actor.pk)
    )
