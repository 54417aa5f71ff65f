"""
The machine learning, free of the database: fit a text model, evaluate it on held-out
examples, explain a score. Services feed it texts and labels (1 = violation, 0 = none).

The model (docs/signals-classifier.md): word 1-2-grams and character 2-5-grams inside word
boundaries (misspellings, mixed scripts), TF-IDF, a balanced logistic regression, calibrated
with a sigmoid so a score of 80 means roughly "8 in 10 such reports were violations". The
calibrated model scores; the same pipeline refit on every training example explains (sigmoid
calibration is monotonic, so the base model's strongest terms are the ones that drove the score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve
from sklearn.pipeline import FeatureUnion, Pipeline

# The curve drawn on the evaluation page: enough points to show its shape, few enough to
# store in the version's JSON.
CURVE_MAX_POINTS = 60
CALIBRATION_FOLDS = 5
TOP_TERMS = 8


@dataclass(frozen=True)
class Fitted:
    """What a model file holds: the scorer, the explainer, and the scikit-learn that made them."""

    scorer: Any  # CalibratedClassifierCV
    explainer: Pipeline
    sklearn_version: str

    def as_payload(self) -> dict[str, Any]:
        return {"model": self.scorer, "explainer": self.explainer, "sklearn": self.sklearn_version}


def base_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True
                ),
            ),
        ]
    )
    return Pipeline(
        [
            ("feats", features),
            ("clf", LogisticRegression(C=4, class_weight="balanced", max_iter=2000)),
        ]
    )


def fit(texts: Sequence[str], labels: Sequence[int]) -> Fitted:
    """Fit the scorer and the explainer; the caller checked both classes are present."""
    smaller_class = min(sum(labels), len(labels) - sum(labels))
    scorer = CalibratedClassifierCV(
        base_pipeline(), method="sigmoid", cv=max(2, min(CALIBRATION_FOLDS, smaller_class))
    )
    scorer.fit(list(texts), list(labels))
    explainer = base_pipeline().fit(list(texts), list(labels))
    return Fitted(scorer=scorer, explainer=explainer, sklearn_version=sklearn.__version__)


def probabilities(scorer: Any, texts: Sequence[str]) -> list[float]:
    """The probability of a violation for each text."""
    if not texts:
        return []
    return [float(p) for p in scorer.predict_proba(list(texts))[:, 1]]


def _downsample(points: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def evaluate(
    labels: Sequence[int], probs: Sequence[float], *, target_precision: float
) -> dict[str, Any]:
    """
    Held-out metrics: average precision, the precision-recall curve, and the operating point,
    the lowest threshold whose precision reaches the target (its recall is what the category
    gets at that precision). When no threshold reaches the target, the threshold is None and
    the confusion counts are given at 0.5.
    """
    y = np.asarray(labels, dtype=int)
    p = np.asarray(probs, dtype=float)
    precision, recall, thresholds = precision_recall_curve(y, p)
    reaching = [i for i in range(len(thresholds)) if precision[i] >= target_precision]
    # thresholds ascend: the first index reaching the target is the lowest threshold.
    chosen = reaching[0] if reaching else None
    threshold = float(thresholds[chosen]) if chosen is not None else None
    cut = threshold if threshold is not None else 0.5
    predicted = p >= cut
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    tn = int(np.sum(~predicted & (y == 0)))
    # Recall ascending from 0 to 1 reads left to right on the chart.
    curve = sorted(
        {(round(float(r), 4), round(float(q), 4)) for r, q in zip(recall, precision, strict=True)}
    )
    return {
        "average_precision": round(float(average_precision_score(y, p)), 4),
        "target_precision": target_precision,
        "target_met": threshold is not None,
        "threshold": round(threshold, 4) if threshold is not None else None,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "curve": [list(point) for point in _downsample(curve, CURVE_MAX_POINTS)],
    }


def explain(explainer: Pipeline, text: str, *, top: int = TOP_TERMS) -> list[list[Any]]:
    """
    The terms of `text` that weigh most in its score, strongest first: [[term, weight], ...],
    a positive weight pushing towards a violation. Character n-grams are shown in quotes
    (their spaces mark a word's edge).
    """
    features = explainer.named_steps["feats"]
    coef = explainer.named_steps["clf"].coef_[0]
    row = features.transform([text]).tocsr()
    names = features.get_feature_names_out()
    weights = {int(i): float(v * coef[i]) for i, v in zip(row.indices, row.data, strict=True)}
    strongest = sorted(weights.items(), key=lambda item: (-abs(item[1]), item[0]))[:top]
    return [[_term(str(names[i])), round(w, 3)] for i, w in strongest if w]


def _term(feature: str) -> str:
    kind, _, term = feature.partition("__")
    return f"“{term}”" if kind == "char" else term
