"""
Reads of governed automation: every detector with its mode, volume, measured precision and
the agreement of its reviewed automatic actions; the rules; the review queue; the case panel.

Precision is measured from people's decisions only: a detector's signals (shadow ones too,
which is what shadow is for) on cases whose decision in force was taken by a person. A case
counts once per detector, at that detector's highest score on it, in the score band of that
score; it is a true positive when the decision found a violation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core.keyset import KeysetCursor
from moderation.models import Case, CaseSignal, Category, Decision
from signals.governance.modes import DEFAULT_MODES, bank_mode_default
from signals.models import AutoActionRule, AutomatedAction, Detector, HashBank, ModelVersion

Kind = Detector.Kind
RECENT_DAYS = 30
REVIEW_PAGE_SIZE = 25
Z_95 = 1.959963984540054


# --- Pure measures ------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """
    The Wilson score interval of a proportion (95 % by default): unlike the normal
    approximation it stays within [0, 1] and is honest for small n and for 0 or n successes.
    (0, 0) when n is 0: nothing measured.
    """
    if n <= 0:
        return (0.0, 0.0)
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = (z / (1 + z2 / n)) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def band_of(score: int, bands: tuple[int, ...]) -> int:
    """The lower bound of the band holding the score (bands: ascending lower bounds)."""
    found = bands[0]
    for lower in bands:
        if score >= lower:
            found = lower
    return found


def band_label(lower: int, bands: tuple[int, ...]) -> str:
    following = [b for b in bands if b > lower]
    return f"{lower}–{following[0] - 1}" if following else f"{lower}–100"


@dataclass(frozen=True)
class BandPrecision:
    lower: int
    label: str
    n: int
    violations: int

    @property
    def precision(self) -> float | None:
        return self.violations / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.violations, self.n)

    @property
    def precision_percent(self) -> int | None:
        return None if self.precision is None else round(100 * self.precision)

    @property
    def interval_percent(self) -> tuple[int, int]:
        low, high = self.interval
        return (round(100 * low), round(100 * high))


def precision_by_band(
    outcomes: list[tuple[int, bool]], bands: tuple[int, ...]
) -> list[BandPrecision]:
    """(score, was a violation) pairs counted in each band, every band listed."""
    n: dict[int, int] = defaultdict(int)
    hits: dict[int, int] = defaultdict(int)
    for score, violation in outcomes:
        lower = band_of(score, bands)
        n[lower] += 1
        hits[lower] += int(violation)
    return [BandPrecision(b, band_label(b, bands), n[b], hits[b]) for b in bands]


def agreement_rate(agree: int, reviewed: int) -> float | None:
    return agree / reviewed if reviewed else None


# --- The detectors page -------------------------------------------------------------------


@dataclass
class DetectorRow:
    key: str
    kind: str
    name: str
    mode: str
    category: str = ""
    row: Detector | None = None
    signals_recent: int = 0
    signals_total: int = 0
    bands: list[BandPrecision] = field(default_factory=list)
    actions_taken: int = 0
    sampled: int = 0
    reviewed: int = 0
    agreed: int = 0

    @property
    def measured(self) -> int:
        return sum(b.n for b in self.bands)

    @property
    def agreement(self) -> float | None:
        return agreement_rate(self.agreed, self.reviewed)

    @property
    def agreement_percent(self) -> int | None:
        rate = self.agreement
        return None if rate is None else round(100 * rate)

    @property
    def agreement_interval_percent(self) -> tuple[int, int]:
        low, high = wilson_interval(self.agreed, self.reviewed)
        return (round(100 * low), round(100 * high))


def _decided_by_person() -> Subquery:
    """The in-force decision's actions (as text) of a signal's case, when a person took it."""
    return Subquery(
        Decision.objects.filter(case_id=OuterRef("case_id"), status=Decision.Status.IN_FORCE)
        .exclude(origin=Decision.Origin.AUTOMATED)
        .order_by("-id")
        .annotate(actions_text=Cast("actions", TextField()))
        .values("actions_text")[:1]
    )


def measured_outcomes() -> dict[str, list[tuple[int, bool]]]:
    """
    detector → (its highest score on a case, whether the person's decision found a violation),
    one pair per case a person decided: one query, grouped in the database.
    """
    rows = (
        CaseSignal.objects.exclude(detector="")
        .annotate(verdict=_decided_by_person())
        .filter(verdict__isnull=False)
        .values("detector", "case_id", "verdict")
        .annotate(top=Max("score"))
        .order_by("detector", "case_id")
    )
    outcomes: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for row in rows:
        outcomes[row["detector"]].append((row["top"], "no_violation" not in row["verdict"]))
    return outcomes


def _known_detectors() -> dict[str, DetectorRow]:
    rows: dict[str, DetectorRow] = {}
    stored = {d.key: d for d in Detector.objects.select_related("changed_by").order_by("key")}
    for bank in HashBank.objects.select_related("category").order_by("name"):
        key = f"{Kind.BANK}:{bank.name}"
        row = stored.get(key)
        rows[key] = DetectorRow(
            key=key,
            kind=Kind.BANK,
            name=bank.name,
            mode=row.mode if row else bank_mode_default(bank),
            category=bank.category.name if bank.category else "",
            row=row,
        )
    model_codes = set(
        ModelVersion.objects.values_list("category__code", flat=True).distinct().order_by()
    ) | {k.partition(":")[2] for k in stored if k.startswith(f"{Kind.MODEL}:")}
    names = dict(Category.objects.values_list("code", "name"))  # a short list, one query
    for code in sorted(model_codes):
        key = f"{Kind.MODEL}:{code}"
        row = stored.get(key)
        rows[key] = DetectorRow(
            key=key,
            kind=Kind.MODEL,
            name=code,
            mode=row.mode if row else DEFAULT_MODES[Kind.MODEL],
            category=names.get(code, code),
            row=row,
        )
    for key, row in stored.items():
        if key.startswith(f"{Kind.PLATFORM}:"):
            rows[key] = DetectorRow(
                key=key, kind=Kind.PLATFORM, name=key.partition(":")[2], mode=row.mode, row=row
            )
    return rows


def detector_rows(*, now: datetime | None = None) -> list[DetectorRow]:
    """
    Every detector: each bank, each category with a model version or a row, each platform
    signal seen (or with a row). A constant number of queries, however many detectors.
    """
    now = now or timezone.now()
    rows = _known_detectors()
    bands: tuple[int, ...] = tuple(settings.AUTOMATION_SCORE_BANDS)
    counts = (
        CaseSignal.objects.exclude(detector="")
        .values("detector")
        .annotate(
            total=Count("id"),
            recent=Count("id", filter=Q(created_at__gte=now - timedelta(days=RECENT_DAYS))),
        )
        .order_by("detector")
    )
    for item in counts:
        key = item["detector"]
        if key not in rows and key.startswith(f"{Kind.PLATFORM}:"):
            rows[key] = DetectorRow(
                key=key,
                kind=Kind.PLATFORM,
                name=key.partition(":")[2],
                mode=DEFAULT_MODES[Kind.PLATFORM],
            )
        if key in rows:
            rows[key].signals_total, rows[key].signals_recent = item["total"], item["recent"]
    outcomes = measured_outcomes()
    for key, row in rows.items():
        row.bands = precision_by_band(outcomes.get(key, []), bands)
    stats = (
        AutomatedAction.objects.values("detector")
        .annotate(
            taken=Count("id"),
            sampled=Count("id", filter=Q(sampled=True)),
            reviewed=Count("id", filter=~Q(review="")),
            agreed=Count("id", filter=Q(review=AutomatedAction.Review.AGREE)),
        )
        .order_by("detector")
    )
    for stat in stats:
        if stat["detector"] in rows:
            row = rows[stat["detector"]]
            row.actions_taken, row.sampled = stat["taken"], stat["sampled"]
            row.reviewed, row.agreed = stat["reviewed"], stat["agreed"]
    kinds: dict[str, int] = {Kind.BANK: 0, Kind.MODEL: 1, Kind.PLATFORM: 2}
    return sorted(rows.values(), key=lambda r: (kinds.get(r.kind, 3), r.key))


# --- Rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    category: Category
    rule: AutoActionRule | None
    actions_taken: int

    @property
    def enabled(self) -> bool:
        return bool(self.rule and self.rule.enabled)


def rule_rows() -> list[RuleRow]:
    """Each category with its rule (None: never set, so off) and how often it acted: 3 queries."""
    rules = {
        r.category_id: r for r in AutoActionRule.objects.select_related("updated_by").order_by("id")
    }
    taken = dict(
        AutomatedAction.objects.values("rule__category_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("rule__category_id", "n")
    )
    return [
        RuleRow(category=c, rule=rules.get(c.pk), actions_taken=taken.get(c.pk, 0))
        for c in Category.objects.order_by("sort_order", "name", "id")
    ]


def category_exists(*, category_id: int) -> bool:
    return Category.objects.filter(pk=category_id).exists()


# --- The review queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewCursor(KeysetCursor):
    """Where a page of the review queue ended: the last automatic action's id (oldest first)."""

    id: int

    def is_valid(self) -> bool:
        return self.id > 0


def review_queue_page(
    *, after: ReviewCursor | None, limit: int = REVIEW_PAGE_SIZE
) -> list[AutomatedAction]:
    """Sampled automatic actions nobody reviewed yet, oldest first, keyset-paginated."""
    pending = (
        AutomatedAction.objects.filter(sampled=True, review="")
        .select_related("case__category", "decision")
        .order_by("id")
    )
    if after is not None:
        pending = pending.filter(id__gt=after.id)
    return list(pending[: limit + 1])


def review_pending_count() -> int:
    return AutomatedAction.objects.filter(sampled=True, review="").count()


# --- The case panel -----------------------------------------------------------------------


def automated_action_for_case(*, case: Case) -> AutomatedAction | None:
    """The automatic action behind the case's decision in force, if a rule decided it."""
    return (
        AutomatedAction.objects.filter(case=case, decision__status=Decision.Status.IN_FORCE)
        .select_related("decision", "reviewed_by")
        .order_by("-id")
        .first()
    )


def signal_detector_keys(signals: list[CaseSignal]) -> list[tuple[str, str]]:
    """(detector, stored mode) of the case's signals, each pair once, in the order shown."""
    seen: dict[tuple[str, str], None] = {}
    for signal in signals:
        if signal.detector:
            seen[(signal.detector, signal.mode)] = None
    return list(seen)
