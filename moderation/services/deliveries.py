"""
What moderation owes the platform after a decision or an appeal: the enforcement, the statement
for the affected user, the outcome for each reporter, a reversal, an appeal outcome. The
messages are built here and handed to the outbox (`outbox.services`), which writes them in the
caller's transaction and sends them after commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
    for report in Report.objects.filter(case=case, reporter__isnull=False).select_related(
        "reporter"
    ):
        items.extend(_reporter_notice(report, decision=decision, topic=case))
    created = deliveries_enqueue(items)
    Report.objects.filter(case=case, reporter__isnull=False).update(
        outcome_notified_at=timezone.now()
    )
    return created


def _reporter_notice(
    report: Report, *, decision: Decision, topic: Case, **extra: Any
) -> list[Outgoing]:
    """The outcome of `decision` for the reporter of `report` (DSA Art. 16(5)), if it has one."""
    if report.reporter is None:
        return []
    return [
        Outgoing(
            kind=outbox_kinds.REPORTER_NOTICE,
            key=f"notice-{report.pk}-{decision.uuid}",
            topic=topic,
            cause=decision,
            payload={
                "report": report.external_id,
                "recipient": report.reporter.platform_id,
                "outcome": "action_taken" if decision.is_violation else "no_violation",
                "decided_at": decision.created_at.isoformat(),
                **extra,
            },
        )
    ]


def deliveries_for_rolled_up_reports(
    *, decision: Decision, group: Case, cases: list[Case]
) -> list[Delivery]:
    """
    Tell the reporters of message cases resolved with their group's decision its outcome,
    as a decided case's reporters are told (the notice names the group case). Only the
    reporters: the statement of reasons goes to the group's owner, with the group decision.
    A fixed number of queries whatever the number of cases.
    """
    by_pk = {c.pk: c for c in cases}
    reports = Report.objects.filter(case_id__in=sorted(by_pk), reporter__isnull=False)
    items = [
        notice
        for report in reports.select_related("reporter").order_by("id")
        for notice in _reporter_notice(
            report, decision=decision, topic=by_pk[report.case_id or 0], group_case=group.pk
        )
    ]
    created = deliveries_enqueue(items)
    reports.update(outcome_notified_at=timezone.now())
    return created


def deliveries_for_held_reports(*, report_ids: list[int]) -> list[Delivery]:
    """
    Tell the reporters of reports stored on an already decided case (its subject cleared as
    "no violation" a short while ago) the decision in force, as DSA Art. 16(5) asks of every
    notice: the same reporter notice a decision sends, flagged as held. A fixed number of
    queries whatever the number of reports.
    """
    reports = list(
        Report.objects.filter(
            pk__in=report_ids,
            reporter__isnull=False,
            case__status=Case.Status.RESOLVED,
            outcome_notified_at__isnull=True,
        ).select_related("reporter")
    )
    if not reports:
        return []
    in_force = {
        d.case_id: d
        for d in Decision.objects.filter(
            case_id__in={r.case_id for r in reports}, status=Decision.Status.IN_FORCE
        )
        .select_related("case")
        .order_by("case_id", "-id")
    }
    items = []
    notified = []
    for report in reports:
        decision = in_force.get(report.case_id or 0)
        if decision is None or report.reporter is None:
            continue
        notified.append(report.pk)
        items.append(
            Outgoing(
                kind=outbox_kinds.REPORTER_NOTICE,
                key=f"notice-{report.pk}-{decision.uuid}",
                topic=decision.case,
                cause=decision,
                payload={
                    "report": report.external_id,
                    "recipient": report.reporter.platform_id,
                    "outcome": "action_taken" if decision.is_violation else "no_violation",
                    "decided_at": decision.created_at.isoformat(),
                    "held": report.held,
                },
            )
        )
    created = deliveries_enqueue(items)
    Report.objects.filter(pk__in=notified).update(outcome_notified_at=timezone.now())
    return created
