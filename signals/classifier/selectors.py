"""
Reads of the classifier: the labelled decisions a category's model learns from (and why a
category cannot be trained yet), and what the model pages show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from moderation.models import Category, Decision, Report
from signals.models import ModelVersion

# Decisions taken by people. An automatic action ("automated") is never a label: the model
# would learn from its own output.
HUMAN_ORIGINS = (Decision.Origin.MODERATOR, Decision.Origin.BULK, Decision.Origin.APPEAL)
# Demo seeds ingest their reports with external ids starting so; a version trained on them
# says so on its page.
DEMO_EXTERNAL_ID_PREFIX = "demo-"


@dataclass(frozen=True)
class LabelledExample:
    case_id: int
    text: str
    label: int  # 1: violation, 0: no violation
    decided_at: datetime
    demo: bool = False


@dataclass(frozen=True)
class Split:
    """A time-based split: the newest decisions are held out to evaluate on."""

    train: list[LabelledExample]
    test: list[LabelledExample]

    @property
    def all(self) -> list[LabelledExample]:
        return self.train + self.test

    @property
    def positives(self) -> int:
        return sum(e.label for e in self.all)

    @property
    def labels_until(self) -> datetime | None:
        return self.all[-1].decided_at if self.all else None


def _human_decisions_in_force(category_id: int | None = None):
    decisions = Decision.objects.filter(status=Decision.Status.IN_FORCE, origin__in=HUMAN_ORIGINS)
    if category_id is not None:
        decisions = decisions.filter(case__category_id=category_id)
    return decisions


def labelled_examples(*, category: Category) -> list[LabelledExample]:
    """
    One example per case of the category with a human decision in force, oldest decision
    first: its reports' texts (not purged, not empty) joined, labelled by the latest decision
    in force. Two queries, whatever the number of cases.
    """
    latest: dict[int, tuple[datetime, list[str]]] = {}
    for case_id, actions, decided_at in (
        _human_decisions_in_force(category.pk)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "actions", "created_at")
    ):
        latest[case_id] = (decided_at, actions)
    texts: dict[int, list[str]] = {}
    demo: dict[int, bool] = {}
    for case_id, text, external_id in (
        Report.objects.filter(case_id__in=list(latest), evidence_purged_at__isnull=True)
        .exclude(content_text="")
        .order_by("case_id", "id")
        .values_list("case_id", "content_text", "external_id")
    ):
        if text not in texts.setdefault(case_id, []):
            texts[case_id].append(text)
        demo[case_id] = demo.get(case_id, True) and external_id.startswith(DEMO_EXTERNAL_ID_PREFIX)
    examples = [
        LabelledExample(
            case_id=case_id,
            text="\n".join(texts[case_id]),
            label=int("no_violation" not in actions),
            decided_at=decided_at,
            demo=demo[case_id],
        )
        for case_id, (decided_at, actions) in latest.items()
        if texts.get(case_id)
    ]
    return sorted(examples, key=lambda e: (e.decided_at, e.case_id))


def time_split(examples: list[LabelledExample], *, holdout_percent: int | None = None) -> Split:
    percent = settings.CLASSIFIER_HOLDOUT_PERCENT if holdout_percent is None else holdout_percent
    held = math.ceil(len(examples) * percent / 100) if examples else 0
    return Split(train=examples[: len(examples) - held], test=examples[len(examples) - held :])


def training_refusal(split: Split, *, category: Category) -> str | None:
    """Why the category cannot be trained on these examples, or None when it can."""
    total, positives = len(split.all), split.positives
    negatives = total - positives
    minimum, per_class = settings.CLASSIFIER_MIN_EXAMPLES, settings.CLASSIFIER_MIN_PER_CLASS
    if total < minimum:
        return _(
            "%(category)s: %(total)s labelled decisions with text so far; training needs at "
            "least %(minimum)s."
        ) % {"category": category.name, "total": total, "minimum": minimum}
    if positives < per_class or negatives < per_class:
        return _(
            "%(category)s: %(positives)s violations and %(negatives)s no-violation decisions so "
            "far; training needs at least %(per_class)s of each."
        ) % {
            "category": category.name,
            "positives": positives,
            "negatives": negatives,
            "per_class": per_class,
        }
    for part, examples in ((_("training"), split.train), (_("held-out"), split.test)):
        labels = {e.label for e in examples}
        if labels != {0, 1}:
            return _(
                "%(category)s: the %(part)s decisions are all of one kind (only violations or "
                "only no-violation); the model cannot be trained and evaluated yet."
            ) % {"category": category.name, "part": part}
    return None


# --- Pages ------------------------------------------------------------------------------------


@dataclass
class CategoryModels:
    category: Category
    versions: list[ModelVersion] = field(default_factory=list)
    decisions: int = 0
    violations: int = 0
    last_decided: datetime | None = None

    @property
    def active(self) -> ModelVersion | None:
        return next((v for v in self.versions if v.status == ModelVersion.Status.ACTIVE), None)

    @property
    def last_trained(self) -> datetime | None:
        return self.versions[0].trained_at if self.versions else None

    @property
    def no_violations(self) -> int:
        return self.decisions - self.violations

    @property
    def short_of_data(self) -> bool:
        """Too few human decisions to train (counted by case; texts are checked at training)."""
        per_class = settings.CLASSIFIER_MIN_PER_CLASS
        return (
            self.decisions < settings.CLASSIFIER_MIN_EXAMPLES
            or self.violations < per_class
            or self.no_violations < per_class
        )


def models_overview() -> list[CategoryModels]:
    """Every category with its versions (newest first) and its labelled decisions: 3 queries."""
    rows = {c.pk: CategoryModels(category=c) for c in Category.objects.order_by("sort_order", "pk")}
    for version in ModelVersion.objects.select_related("trained_by").order_by(
        "category_id", "-version"
    ):
        if version.category_id in rows:
            rows[version.category_id].versions.append(version)
    counts = (
        _human_decisions_in_force()
        .values("case__category_id")
        .annotate(
            cases=Count("case_id", distinct=True),
            clean=Count("case_id", distinct=True, filter=Q(actions=["no_violation"])),
            last=Max("created_at"),
        )
        .order_by()
    )
    for row in counts:
        entry = rows.get(row["case__category_id"])
        if entry is not None:
            entry.decisions = row["cases"]
            entry.violations = row["cases"] - row["clean"]
            entry.last_decided = row["last"]
    return list(rows.values())


def model_version(*, version_id: int) -> ModelVersion:
    return ModelVersion.objects.select_related("category", "trained_by").get(pk=version_id)


def previous_version(*, version: ModelVersion) -> ModelVersion | None:
    """The version trained before this one in its category (whatever its status)."""
    return (
        ModelVersion.objects.filter(category_id=version.category_id, version__lt=version.version)
        .order_by("-version")
        .first()
    )


def active_versions() -> dict[int, ModelVersion]:
    """The active version of each category that has one (a handful of rows), by category id."""
    return {
        v.category_id: v
        for v in ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).select_related(
            "category"
        )
    }
