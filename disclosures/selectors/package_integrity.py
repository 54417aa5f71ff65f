"""
The auditor's view of stored packages found damaged when read back: every refused release
or download of a package whose file was missing, altered or truncated leaves a
`package.integrity_failed` event, and the recent ones are raised on the auditor's pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import CharField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.models import LegalRequest, ReleasePackage

ACTION = "package.integrity_failed"
ALARM_WINDOW = timedelta(days=30)
ROWS = 20


@dataclass(frozen=True)
class IntegrityFailureRow:
    occurred_at: datetime
    request_id: str
    reference: str
    package_id: int | None
    reason: str
    operation: str
    released: bool
    username: str


@dataclass(frozen=True)
class IntegrityOversight:
    rows: list[IntegrityFailureRow]  # the most recent first
    total: int
    alarm_days: int
    action: str = ACTION

    @property
    def alarming(self) -> bool:
        return self.total > 0

    @property
    def released_total(self) -> int:
        """Failures of released packages among the rows shown: the authority has its copy."""
        return sum(1 for row in self.rows if row.released)


def package_integrity_oversight(*, now: datetime | None = None) -> IntegrityOversight:
    """Integrity failures of the last 30 days: their number and the latest, in two queries."""
    since = (now or timezone.now()) - ALARM_WINDOW
    events = AuditEvent.objects.filter(action=ACTION, occurred_at__gte=since)
    reference = (
        LegalRequest.objects.annotate(key=Cast("pk", CharField()))
        .filter(key=OuterRef("target_id"))
        .values("reference")[:1]
    )
    latest = (
        events.annotate(reference=Subquery(reference))
        .order_by("-occurred_at", "-id")
        .values("occurred_at", "target_id", "reference", "data", "actor_username")[:ROWS]
    )
    return IntegrityOversight(
        rows=[
            IntegrityFailureRow(
                occurred_at=row["occurred_at"],
                request_id=row["target_id"],
                reference=row["reference"] or "",
                package_id=row["data"].get("package"),
                reason=str(row["data"].get("reason", "")),
                operation=str(row["data"].get("operation", "")),
                released=row["data"].get("package_status") == ReleasePackage.Status.RELEASED,
                username=row["actor_username"],
            )
            for row in latest
        ],
        total=events.count(),
        alarm_days=ALARM_WINDOW.days,
    )
