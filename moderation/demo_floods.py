"""
Demo of report floods and muted reporters, built through the real services (idempotent).

A message cleared "no violation" two days ago keeps drawing reports: they are held on its
case ("4 reports held since cleared") instead of reopening it. One reporter, muted by the
senior for filing in bad faith, has reports held on that case, on an open case and about a
subject no case holds.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from moderation.models import Case, Decision, Report, Reporter
from moderation.services import claims, decisions, reporters
from moderation.services.intake import ReportInput, SubjectInput, reports_ingest

PREFIX = "flood-demo-"
CLEARED_SUBJECT = "flood-demo-msg-1"
TROLL = "flood-demo-troll"
HELD_REPORTERS = 4  # below FLOOD_REOPEN_REPORTERS (5): the subject stays out of the queue


def _report(n: str, *, subject: str, reporter: str, category: str = "harassment") -> ReportInput:
    now = timezone.now()
    return ReportInput(
        external_id=f"{PREFIX}{n}",
        category=category,
        source="user",
        reporter_id=reporter,
        description="This user keeps insulting people in the group.",
        reported_at=now - timedelta(minutes=30),
        language="en",
        subject=SubjectInput(
            type="message",
            platform_id=subject,
            author_id=f"{subject}-author",
            author_username="loud_but_fine",
            chat_id="flood-demo-chat",
            chat_kind="group",
            text="Your team played terribly last night, worst match of the season.",
            posted_at=now - timedelta(hours=3),
        ),
    )


def _clear(moderator: User) -> None:
    """The first report, decided "no violation" two days ago."""
    result = reports_ingest(
        items=[_report("1", subject=CLEARED_SUBJECT, reporter="flood-demo-first")], channel="demo"
    )
    case_id = next(iter(result.case_ids.values()))
    case = Case.objects.get(pk=case_id)
    if case.status != Case.Status.RESOLVED:
        claims.case_claim(case_id=case.pk, actor=moderator)
        decision = decisions.case_decide(
            case_id=case.pk,
            actor=moderator,
            decision=decisions.DecisionInput(
                actions=("no_violation",), facts="Reviewed: rude about a football team, no abuse."
            ),
        )
        Decision.objects.filter(pk=decision.pk).update(
            created_at=timezone.now() - timedelta(days=2)
        )


def _mute_troll(senior: User) -> None:
    reports_ingest(
        items=[_report("troll-0", subject="flood-demo-msg-0", reporter=TROLL)], channel="demo"
    )
    troll = Reporter.objects.get(platform_id=TROLL)
    if troll.muted_at is None:
        reporters.reporter_mute(
            reporter_id=troll.pk,
            actor=senior,
            reason="Dozens of reports against one account's ordinary messages, all closed "
            "as no violation.",
        )


def seed_floods(users: dict[str, User]) -> int:
    """Returns how many reports were new (0 on a second run)."""
    moderator, senior = users.get("moderator"), users.get("senior")
    if moderator is None or senior is None:
        return 0
    if Report.objects.filter(external_id=f"{PREFIX}troll-3").exists():
        return 0
    _clear(moderator)
    _mute_troll(senior)
    held = [
        _report(f"held-{n}", subject=CLEARED_SUBJECT, reporter=f"flood-demo-reporter-{n}")
        for n in range(HELD_REPORTERS)
    ]
    troll = [
        _report("troll-1", subject=CLEARED_SUBJECT, reporter=TROLL),
        # Joins the open case the troll's first report opened, held.
        _report("troll-2", subject="flood-demo-msg-0", reporter=TROLL),
        # About a subject nobody else reported: stored with no case at all.
        _report("troll-3", subject="flood-demo-msg-2", reporter=TROLL),
    ]
    return len(reports_ingest(items=held + troll, channel="demo").created)
