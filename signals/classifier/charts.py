"""
The precision-recall curve as inline SVG, drawn on the server: coordinates computed here, the
markup in a template (auto-escaped), no script and no chart library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 420, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40  # margins for the axes and their labels
TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Tick:
    value: str
    x: float
    y: float


@dataclass(frozen=True)
class PRChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    points: str  # the polyline of this version
    previous_points: str  # the previous version's, "" when there is none
    marker: tuple[float, float] | None  # the operating threshold's (recall, precision)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)

    @property
    def bottom(self) -> int:
        return self.top + self.plot_height

    @property
    def right(self) -> int:
        return self.left + self.plot_width


def _x(recall: float) -> float:
    return round(LEFT + recall * (WIDTH - LEFT - RIGHT), 1)


def _y(precision: float) -> float:
    return round(TOP + (1 - precision) * (HEIGHT - TOP - BOTTOM), 1)


def _polyline(curve: list[list[float]]) -> str:
    return " ".join(f"{_x(float(r))},{_y(float(p))}" for r, p in curve)


def pr_chart(metrics: dict[str, Any], previous: dict[str, Any] | None = None) -> PRChart:
    """The chart of a version's held-out curve, its operating point, and the previous curve."""
    marker = None
    if metrics.get("target_met"):
        marker = (_x(float(metrics["recall"])), _y(float(metrics["precision"])))
    return PRChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        plot_width=WIDTH - LEFT - RIGHT,
        plot_height=HEIGHT - TOP - BOTTOM,
        points=_polyline(metrics.get("curve") or []),
        previous_points=_polyline((previous or {}).get("curve") or []),
        marker=marker,
        x_ticks=[Tick(f"{t:.2f}", _x(t), HEIGHT - BOTTOM + 16) for t in TICKS],
        y_ticks=[Tick(f"{t:.2f}", LEFT - 6, _y(t) + 4) for t in TICKS],
    )
