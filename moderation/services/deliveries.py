"""
What moderation owes the platform after a decision or an appeal: the enforcement, the statement
for the affected user, the outcome for each reporter, a reversal, an appeal outcome. The
messages are built here and handed to the outbox (`outbox.services`), which writes them in the
caller's transaction and sends them after commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from moderation import outbox_kinds
from moderation.models import Case, Decision, Report, Statement
from outbox.models import Delivery
from outbox.services import Outgoing, deliveries_enqueue


def deliveries_for_decision(
    *, decision: Decision, case: Case, statement: Statement | None
) -> list[Delivery]:
    """Enforcement for the platform, the statement for the affected user, outcomes for reporters."""
    subject = case.subject
    base = {
        "case": case.pk,
        "decision": str(decision.uuid),
        "subject": {"type": subject.type, "platform_id": subject.platform_id},
    }
    items = []
    if decision.is_violation:
        items.append(
            Outgoing(
                kind=outbox_kinds.ENFORCEMENT,
                key=f"enforce-{decision.uuid}",
                topic=case,
                cause=decision,
                payload={
                    **base,
                    "account": subject.author.platform_id,
                    "actions": decision.actions,
                    "countries": decision.countries,
                    "restrict_days": decision.restrict_days,
                    "suspend_days": decision.suspend_days,
                },
            )
        )
        items.append(
            Outgoing(
                kind=outbox_kinds.AFFECTED_NOTICE,
                key=f"sor-{decision.uuid}",
                topic=case,
                cause=decision,
                payload={
                    **base,
                    "recipient": subject.author.platform_id,
                    "statement": statement.payload if statement else None,
                    "appeal_until": (
                        decision.created_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
                    ).isoformat(),
                },
            )
        )
    outcome = "action_taken" if decision.is_violation else "no_violation"
    for report in Report.objects.filter(case=case, reporter__isnull=False).select_related(
        "reporter"
    ):
        if report.reporter is None:  # filtered out above; this narrows the type
            continue
        items.append(
            Outgoing(
                kind=outbox_kinds.REPORTER_NOTICE,
                key=f"notice-{report.pk}-{decision.uuid}",
                topic=case,
                cause=decision,
                payload={
                    "report": report.external_id,
                    "recipient": report.reporter.platform_id,
                    "outcome": outcome,
                    "decided_at": decision.created_at.isoformat(),
                },
            )
        )
    created = deliveries_enqueue(items)
    Report.objects.filter(case=case, reporter__isnull=False).update(
        outcome_notified_at=timezone.now()
    )
    return created
