"""The flatness ratios read against the machine's own speed at each stage (bench.runner)."""

from __future__ import annotations

import pytest

from bench.core import SMOKE, Figure, Results
from bench.runner import FLAT, add_ratios, add_speed_corrected, ratio_keys


def _results(figures: dict[str, float]) -> Results:
    results = Results(SMOKE)
    for key, value in figures.items():
        results.add(Figure(key=key, label=key, value=value, unit="ms"))
    return results


def test_a_page_ratio_is_divided_by_the_pages_probe_ratio():
    results = _results(
        {
            "case.typical.view.small": 40.0,
            "case.typical.view.large": 68.0,
            "probe.pages.small": 10.0,
            "probe.pages.large": 17.0,  # the machine ran 1.7x slower at the large stage
            "probe.tasks.small": 10.0,
            "probe.tasks.large": 10.0,
        }
    )

    add_speed_corrected(results, "case.typical.view", "Case page")

    (ratio,) = results.ratios
    assert ratio.key == "flat_speed.case.typical.view"
    assert ratio.value == pytest.approx(1.0)
    assert ratio.met


def test_a_task_is_read_against_the_probe_taken_before_the_tasks():
    results = _results(
        {
            "task.deadlines.small": 0.40,
            "task.deadlines.large": 0.60,
            "probe.pages.small": 10.0,
            "probe.pages.large": 20.0,
            "probe.tasks.small": 10.0,
            "probe.tasks.large": 10.0,  # no drift when the tasks ran
        }
    )

    add_speed_corrected(results, "task.deadlines", "Deadline re-scoring run")

    (ratio,) = results.ratios
    assert ratio.value == pytest.approx(1.5)
    assert not ratio.met  # real growth stays visible


def test_a_missing_probe_is_noted_not_guessed():
    results = _results({"queue.first.view.small": 20.0, "queue.first.view.large": 22.0})

    add_speed_corrected(results, "queue.first.view", "Queue page 1")

    assert results.ratios == []
    assert any("flat_speed.queue.first.view" in note for note in results.notes)


def test_every_flat_figure_gets_both_ratios_and_the_smoke_test_expects_them():
    figures = {}
    for key, _ in FLAT:
        figures[f"{key}.small"] = 10.0
        figures[f"{key}.large"] = 11.0
    figures.update({"probe.pages.small": 5.0, "probe.pages.large": 5.0})
    figures.update({"probe.tasks.small": 5.0, "probe.tasks.large": 5.0})
    results = _results(figures)

    add_ratios(results)

    found = {r.key for r in results.ratios}
    for key, _ in FLAT:
        assert {f"flat.{key}", f"flat_speed.{key}"} <= found
        assert {f"flat.{key}", f"flat_speed.{key}"} <= set(ratio_keys())
