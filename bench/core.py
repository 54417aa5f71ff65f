"""
What every measurement shares: the scale, the figures and ratios it reports, and the timer.

A figure is a median over repeated runs in one process; a ratio is always taken between two
figures of the same run, so machine noise between runs never enters a target.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Stage = Literal["small", "large"]


@dataclass(frozen=True)
class Scale:
    """How much data each stage holds. `small` is measured first, then the data grows to `large`."""

    name: str
    small_cases: int
    large_cases: int
    reports_per_case: float
    accounts: int
    ip_records_small: int
    ip_records_large: int
    audit_events: int
    bank_hashes: int
    repeat: int  # runs per figure (the median is reported)
    # Runs per page figure: a page takes milliseconds, and a 1M / 10k ratio of two medians
    # moves by as much as 1.2 between runs on a shared 2-core VM with 7; more runs steady it.
    page_repeat: int = 0  # 0: as `repeat`


DEFAULT = Scale(
    name="default",
    small_cases=10_000,
    large_cases=1_000_000,
    reports_per_case=2.05,
    accounts=300_000,
    ip_records_small=1_000_000,
    ip_records_large=10_000_000,
    audit_events=1_000_000,
    bank_hashes=1_000_000,
    repeat=7,
    page_repeat=25,
)

# CI: every measurement runs, on data small enough to finish in well under two minutes.
SMOKE = Scale(
    name="smoke",
    small_cases=500,
    large_cases=5_000,
    reports_per_case=2.05,
    accounts=1_500,
    ip_records_small=5_000,
    ip_records_large=50_000,
    audit_events=5_000,
    bank_hashes=5_000,
    repeat=3,
)

# Between the two: the default's 10k small stage grown to 100k, for a run of a few minutes.
MID = Scale(
    name="mid",
    small_cases=10_000,
    large_cases=100_000,
    reports_per_case=2.05,
    accounts=30_000,
    ip_records_small=100_000,
    ip_records_large=1_000_000,
    audit_events=100_000,
    bank_hashes=100_000,
    repeat=5,
    page_repeat=11,
)

SCALES = {s.name: s for s in (DEFAULT, MID, SMOKE)}


@dataclass
class Figure:
    key: str  # dotted and stable, e.g. "queue.first.selector.large"
    label: str  # for the table: "Queue page 1, selector, 1M cases"
    value: float
    unit: str  # "ms", "s", "reports/s", "claims/s", "events/s"
    runs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ratio:
    key: str
    label: str
    numerator: str  # figure keys
    denominator: str
    value: float
    op: Literal["<=", ">="]
    target: float
    met: bool


@dataclass
class Results:
    scale: Scale
    figures: dict[str, Figure] = field(default_factory=dict)
    ratios: list[Ratio] = field(default_factory=list)
    plans: dict[str, str] = field(default_factory=dict)  # EXPLAIN text by name
    plan_problems: list[str] = field(
        default_factory=list
    )  # e.g. "Seq Scan on moderation_case in queue.deep"
    notes: list[str] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)  # CPU, cores, RAM, versions
    timings: dict[str, float] = field(default_factory=dict)  # generation and run phases, s

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.key] = figure
        return figure

    def ratio(
        self,
        key: str,
        label: str,
        numerator: str,
        denominator: str,
        op: Literal["<=", ">="],
        target: float,
    ) -> Ratio | None:
        """The ratio of two figures already taken; None (and a note) if either is missing."""
        num, den = self.figures.get(numerator), self.figures.get(denominator)
        if num is None or den is None or den.value == 0:
            self.notes.append(f"ratio {key}: missing {numerator if num is None else denominator}")
            return None
        value = num.value / den.value
        met = value <= target if op == "<=" else value >= target
        found = Ratio(key, label, numerator, denominator, value, op, target, met)
        self.ratios.append(found)
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "scale": asdict(self.scale),
            "figures": [asdict(f) for f in self.figures.values()],
            "ratios": [asdict(r) for r in self.ratios],
            "plans": self.plans,
            "plan_problems": self.plan_problems,
            "notes": self.notes,
            "machine": self.machine,
            "timings": self.timings,
        }


@dataclass
class Context:
    """Handed to every measurement: where the data is and where results go."""

    scale: Scale
    results: Results
    stage: Stage = "small"
    # What the data generator knows and the measurements need (bench.data.Facts): the
    # benchmark users, the prolific author, the IP-record account, the clock of the data.
    facts: Any = None

    def cases(self) -> int:
        return self.scale.small_cases if self.stage == "small" else self.scale.large_cases

    def figure(
        self,
        name: str,
        label: str,
        value: float,
        unit: str,
        *,
        runs: int = 1,
        extra: dict[str, Any] | None = None,
    ) -> Figure:
        """Add the figure `name` of this stage (its key `name.small` or `name.large`)."""
        return self.results.add(
            Figure(f"{name}.{self.stage}", label, value, unit, runs, extra or {})
        )


def cpu_probe() -> None:
    """
    Fixed Python work (JSON, hashing, dict and string handling, as a request does): timed
    before each measurement module, it tells how fast the machine was at that moment. On a
    shared VM the same code ran 1.6-2x slower in one stage than in the other (an empty page
    7 ms at 10k, 13.7 ms at 1M); a flatness ratio is read against this one.
    """
    rows = [{"id": n, "name": f"case {n}", "tags": ["a", "b", str(n)]} for n in range(2_000)]
    for _ in range(3):
        text = json.dumps(rows, sort_keys=True)
        hashlib.sha256(text.encode()).digest()
        back = json.loads(text)
        "".join(f"<td>{row['name']}</td>" for row in back)


def median_seconds(fn: Callable[[], object], *, repeat: int, warmup: int = 1) -> float:
    """The median wall time of `fn` over `repeat` runs, after `warmup` unmeasured ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
