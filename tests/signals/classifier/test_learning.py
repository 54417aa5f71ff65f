"""The machine learning on its own: fit, held-out metrics, explanations (no database)."""

from __future__ import annotations

from signals.classifier import learning, synthetic

# One fixed held-out set, large enough that its noisy labels do not decide the comparison.
HELD_OUT = synthetic.examples("spam", 300, seed=999)


def _ap_after_training_on(count: int, *, seed: int) -> float:
    train = synthetic.examples("spam", count, seed=seed)
    fitted = learning.fit([e.text for e in train], [int(e.violation) for e in train])
    probs = learning.probabilities(fitted.scorer, [e.text for e in HELD_OUT])
    metrics = learning.evaluate([int(e.violation) for e in HELD_OUT], probs, target_precision=0.9)
    return metrics["average_precision"]


def test_more_training_decisions_give_a_better_average_precision_on_the_same_held_out_set():
    few = [_ap_after_training_on(20, seed=seed) for seed in (7, 8, 9)]
    many = [_ap_after_training_on(200, seed=seed) for seed in (7, 8, 9)]

    assert sum(many) / 3 > sum(few) / 3 + 0.04
    assert min(many) > max(few)
    assert max(many) < 1.0  # the synthetic labels are noisy: a perfect score would be suspicious


def test_evaluate_picks_the_lowest_threshold_reaching_the_target_precision():
    labels = [0, 0, 1, 0, 1, 1, 1, 1]
    probs = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]

    metrics = learning.evaluate(labels, probs, target_precision=0.8)

    # At 0.3: 5 of 6 flagged are violations (0.83); at 0.2 it would be 5 of 7 (0.71).
    assert metrics["threshold"] == 0.3
    assert metrics["target_met"] is True
    assert metrics["precision"] == round(5 / 6, 4)
    assert metrics["recall"] == 1.0
    assert metrics["confusion"] == {"tp": 5, "fp": 1, "fn": 0, "tn": 2}


def test_evaluate_says_when_no_threshold_reaches_the_target():
    metrics = learning.evaluate([1, 0, 1, 0], [0.9, 0.9, 0.1, 0.1], target_precision=0.9)

    assert metrics["target_met"] is False
    assert metrics["threshold"] is None
    assert metrics["confusion"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}  # at 0.5


def test_the_curve_is_downsampled_to_sixty_points_from_low_to_high_recall():
    labels = [i % 2 for i in range(400)]
    probs = [(i * 7919 % 400) / 400 for i in range(400)]

    curve = learning.evaluate(labels, probs, target_precision=0.9)["curve"]

    assert 2 <= len(curve) <= learning.CURVE_MAX_POINTS
    recalls = [r for r, _ in curve]
    assert recalls == sorted(recalls)
    assert recalls[0] == 0.0
    assert recalls[-1] == 1.0


def test_the_terms_that_drive_a_violation_score_come_from_the_violation_vocabulary():
    train = synthetic.examples("spam", 200, seed=3, noise=0.0)
    fitted = learning.fit([e.text for e in train], [int(e.violation) for e in train])

    terms = learning.explain(fitted.explainer, "FREE followers click the link now promo code WIN42")

    assert 1 <= len(terms) <= learning.TOP_TERMS
    assert terms[0][1] > 0  # the strongest term pushes towards a violation
    words = " ".join(t for t, w in terms if w > 0).lower()
    assert any(w in words for w in ("free", "followers", "click", "promo", "link"))
    weights = [abs(w) for _, w in terms]
    assert weights == sorted(weights, reverse=True)
