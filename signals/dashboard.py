"""
The signals app's widget on the dashboard (accounts.dashboard finds this module).

Senior moderators govern the detectors, so theirs is what waits on a decision: detectors
in shadow (shown beside cases, never acting) that someone should promote or switch off,
candidate model versions to activate or reject, and sampled automatic decisions to review.
A classifier without a detector row is in shadow by default (signals.governance.modes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.dashboard import TodoItem, Widget, register
from signals.governance import permissions as governance_permissions
from signals.governance.selectors import review_pending_count
from signals.models import Detector, ModelVersion

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class DetectorCounts:
    shadow: int  # detectors in shadow: stored rows plus active classifiers without a row
    candidates: int  # model versions trained and not yet activated or rejected


def detector_counts() -> DetectorCounts:
    """Two aggregate queries, whatever the number of detectors and model versions."""
    stored = Detector.objects.filter(key=Concat(Value("model:"), OuterRef("category__code")))
    versions = ModelVersion.objects.aggregate(
        candidates=Count("id", filter=Q(status=ModelVersion.Status.CANDIDATE)),
        shadow_by_default=Count(
            "id", filter=Q(status=ModelVersion.Status.ACTIVE) & ~Q(Exists(stored))
        ),
    )
    shadow_rows = Detector.objects.filter(mode=Detector.Mode.SHADOW).count()
    return DetectorCounts(
        shadow=shadow_rows + versions["shadow_by_default"], candidates=versions["candidates"]
    )


def _senior_items(user: User) -> list[TodoItem]:
    counts = detector_counts()
    items = [
        TodoItem(
            key="detectors-shadow",
            label=_("Detectors in shadow awaiting review"),
            count=counts.shadow,
            url=reverse("signals:detectors"),
            detail=_("shown to moderators, not acting: promote or switch off"),
        ),
        TodoItem(
            key="model-candidates",
            label=_("Candidate models to activate or reject"),
            count=counts.candidates,
            url=reverse("signals:models"),
        ),
    ]
    if governance_permissions.can_review_automated_actions(user):
        items.append(
            TodoItem(
                key="automation-reviews",
                label=_("Automatic decisions to review"),
                count=review_pending_count(),
                url=reverse("signals:reviews"),
            )
        )
    return items


register(
    Widget(
        key="signals-detectors",
        title=_("Detectors"),
        order=120,
        permission="signals.manage_detectors",
        items=_senior_items,
    )
)
