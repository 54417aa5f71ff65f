"""
Demo moderation data: a busy, realistic queue built through the real services.

Deterministic (a seeded random generator) and idempotent: reports are keyed by external id,
and every later step (backdating, claims, decisions, escalations, appeals) skips what is
already done, so running it twice changes nothing. The media reports carry synthetic
pictures ingested like the platform's uploads, and some group messages their thread
(`moderation.demo_evidence`).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from moderation.demo_evidence import demo_media, demo_thread
from moderation.demo_floods import seed_floods
from moderation.demo_notes import seed_notes_and_templates
from moderation.demo_private import seed_private_chats
from moderation.demo_texts import FLAGGERS, SUBJECT_TYPES, TEXTS, WEIGHTS
from moderation.demo_transparency import seed_transparency
from moderation.models import Case, Category, Decision, ModeratorProfile, Report
from moderation.services import claims, decisions
from moderation.services.appeals import AppealInput, appeal_submit
from moderation.services.intake import ReportInput, SignalInput, SubjectInput, reports_ingest
from moderation.services.priority import cases_refresh

SUBJECTS = 300
EXTRA_REPORTS = 140


def _author_kind(subject_type: str, author: int) -> str:
    """Bots post as bots; one author in ten is a business (a shop, a brand), the rest people."""
    if subject_type == "bot":
        return "bot"
    return "business" if author % 10 == 0 else "user"


def _reports(now) -> list[ReportInput]:
    rng = random.Random(20261128)
    codes = list(WEIGHTS)
    weights = [WEIGHTS[c] for c in codes]
    subjects = []
    for n in range(SUBJECTS):
        code = rng.choices(codes, weights)[0]
        language, text = rng.choice(TEXTS[code])
        kind = rng.choice(SUBJECT_TYPES)
        media = (
            kind == "media" or code in {"child_safety", "ncii", "terrorism"} or rng.random() < 0.1
        )
        author = rng.randint(1, 180)
        posted = now - timedelta(hours=rng.uniform(1, 40))
        subjects.append((n, code, language, text, kind, media, author, posted))

    items = []
    picks = list(range(SUBJECTS)) + [rng.randrange(SUBJECTS) for _ in range(EXTRA_REPORTS)]
    for i, n in enumerate(picks):
        _, code, language, text, kind, media, author, posted = subjects[n]
        roll = rng.random()
        source = (
            "automated"
            if code in {"child_safety", "terrorism"} and roll < 0.5
            else "trusted_flagger"
            if roll < 0.12
            else "authority"
            if roll < 0.16
            else "user"
        )
        signals: tuple[SignalInput, ...] = ()
        if source == "automated" or rng.random() < 0.2:
            if code == "child_safety":
                signals = (
                    SignalInput(
                        kind="hash_match",
                        name="pdq-known-csam",
                        label="match",
                        score=100,
                        matched_hash=hashlib.sha256(f"h{n}".encode()).hexdigest(),
                    ),
                )
            else:
                signals = (
                    SignalInput(
                        kind="classifier",
                        name=f"{code}-classifier-v3",
                        label=code,
                        score=rng.randint(55, 99),
                    ),
                )
        sha = hashlib.sha256(f"media-{n}".encode()).hexdigest() if media else ""
        reported = min(posted + timedelta(hours=rng.uniform(0.1, 20)), now - timedelta(minutes=3))
        items.append(
            ReportInput(
                external_id=f"demo-{i + 1:04d}",
                category=code,
                source=source,
                reporter_id="" if source == "automated" else f"u{rng.randint(1, 120)}",
                description=""
                if source == "automated"
                else rng.choice(
                    [
                        "Please look at this, it is spreading fast.",
                        "This is illegal.",
                        "Saw this in a public group.",
                        "Reported on behalf of a member of our community.",
                        "Repeat offender.",
                        "",
                    ]
                ),
                reported_at=reported,
                language=language,
                flagger_name=rng.choice(FLAGGERS) if source == "trusted_flagger" else "",
                signals=signals,
                # A quarter of the group messages come with their thread, on first report.
                context=demo_thread(n, posted=posted, author=author)
                if kind == "message" and n % 4 == 0 and i < SUBJECTS
                else (),
                subject=SubjectInput(
                    type=kind,
                    platform_id=f"{kind}-{n + 1000}",
                    author_id=f"acct-{author}",
                    author_username=f"user_{author:03d}",
                    author_display_name=f"User {author}",
                    author_kind=_author_kind(kind, author),
                    chat_id=f"-100{5000 + n % 40}" if kind == "message" else "",
                    chat_kind="group" if kind == "message" else "",
                    text=text,
                    content_type="image" if media else "text",
                    media_sha256=sha,
                    media_url=f"/static/demo/media/sample-{n % 8 + 1}.svg" if media else "",
                    deep_link=f"https://t.me/c/{5000 + n % 40}/{n * 7 + 11}",
                    posted_at=posted,
                ),
            )
        )
    return items


def _with_media(items: list[ReportInput]) -> list[ReportInput]:
    """The media reports with a synthetic picture each, stored as the platform's would be."""
    subjects = sorted(
        {i.subject.platform_id for i in items if i.subject.media_sha256},
        key=lambda platform_id: int(platform_id.rsplit("-", 1)[1]),
    )
    shas = demo_media(subjects)
    return [
        replace(
            item,
            subject=replace(
                item.subject, media_sha256=shas[item.subject.platform_id], media_url=""
            ),
        )
        if item.subject.platform_id in shas
        else item
        for item in items
    ]


def _backdate(items: list[ReportInput]) -> None:
    """Reports arrived when they were reported: age the rows so deadlines and ages look real."""
    with transaction.atomic():
        for item in items:
            Report.objects.filter(
                external_id=item.external_id,
                received_at__gt=item.reported_at + timedelta(minutes=2),
            ).update(received_at=item.reported_at + timedelta(minutes=1))
        for case in Case.objects.filter(reports__external_id__startswith="demo-").distinct():
            first = (
                case.reports.order_by("received_at").values_list("received_at", flat=True).first()
            )
            if first and case.created_at > first:
                Case.objects.filter(pk=case.pk).update(created_at=first)
        ids = list(Case.objects.filter(status__in=Case.ACTIVE).values_list("pk", flat=True))
        list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
        cases_refresh(case_ids=ids)


def _decide_some(users: dict[str, User]) -> None:
    rng = random.Random(42)
    cases = list(
        Case.objects.filter(reports__external_id__startswith="demo-", status=Case.Status.OPEN)
        .select_related("category")
        .distinct()
        .order_by("id")
    )
    for case in cases:
        roll = rng.random()
        if roll < 0.30:
            actor = users["moderator"] if rng.random() < 0.6 else users["moderator2"]
            claims.case_claim(case_id=case.pk, actor=actor)
            if rng.random() < 0.2:
                choice = decisions.DecisionInput(
                    actions=("no_violation",), facts="Reviewed: within the rules."
                )
            else:
                actions = ["remove_content"]
                if case.category.severity >= 4:
                    actions.append(rng.choice(["suspend_account", "terminate_account"]))
                choice = decisions.decision_from_defaults(
                    case=case,
                    actions=tuple(actions),
                    suspend_days=30 if "suspend_account" in actions else None,
                )
            decisions.case_decide(case_id=case.pk, actor=actor, decision=choice)
        elif roll < 0.33:
            claims.case_claim(case_id=case.pk, actor=users["moderator"])
            claims.case_escalate(
                case_id=case.pk,
                actor=users["moderator"],
                to="senior",
                note="Unsure whether this crosses the line; needs a second opinion.",
            )
        elif roll < 0.35 and case.category.severity >= 3:
            claims.case_claim(case_id=case.pk, actor=users["senior"])
            claims.case_escalate(
                case_id=case.pk,
                actor=users["senior"],
                to="legal",
                note="Clear terms violation by an account an authority is asking about.",
            )
        elif roll < 0.36:
            claims.case_claim(case_id=case.pk, actor=users["moderator2"])  # work in progress


def _appeal_some() -> None:
    now = timezone.now()
    decided = (
        Decision.objects.filter(
            case__reports__external_id__startswith="demo-", status=Decision.Status.IN_FORCE
        )
        .exclude(actions=["no_violation"])
        .select_related("case__subject__author")
        .distinct()
        .order_by("id")
    )
    for decision in list(decided)[::6][:12]:
        appeal_submit(
            item=AppealInput(
                external_id=f"demo-appeal-{decision.pk}",
                decision_puid=f"tsd-{decision.uuid}",
                appellant_id=decision.case.subject.author.platform_id,
                reason="I did not post this to harm anyone; the context was a joke between friends.",
                submitted_at=now,
            )
        )


def _answer_some_appeals(users: dict[str, User]) -> None:
    """
    The senior answers a few appeals, so the reversal statistics have something to show and
    the statements feed holds a reversed and a replaced statement.
    """
    from moderation.models import Appeal
    from moderation.services.appeals import appeal_decide

    pending = list(
        Appeal.objects.filter(external_id__startswith="demo-appeal-", status=Appeal.Status.PENDING)
        .exclude(decision__moderator=users["senior"])
        .select_related("decision__case__category")
        .order_by("id")
    )
    outcomes = [
        Appeal.Status.UPHELD,
        Appeal.Status.REVERSED,
        Appeal.Status.MODIFIED,
        Appeal.Status.UPHELD,
    ]
    for appeal, outcome in zip(pending[:4], outcomes, strict=False):
        replacement = None
        if outcome == Appeal.Status.MODIFIED:
            # Removal was too much: the content stays, out of search results.
            replacement = decisions.decision_from_defaults(
                case=appeal.decision.case, actions=("remove_from_search",)
            )
        appeal_decide(
            appeal_id=appeal.pk,
            actor=users["senior"],
            outcome=outcome,
            note="Reviewed the evidence and the appellant's reasons.",
            new_decision=replacement,
        )


def _profiles(users: dict[str, User]) -> None:
    profile, _ = ModeratorProfile.objects.get_or_create(user=users["moderator2"])
    if not profile.languages:
        profile.languages = ["ar", "fa"]
        profile.save(update_fields=["languages"])
    senior, _ = ModeratorProfile.objects.get_or_create(user=users["senior"])
    if not senior.categories.exists():
        senior.categories.set(
            Category.objects.filter(code__in=["child_safety", "terrorism", "ncii"])
        )


def seed_moderation() -> int:
    """Create the demo queue; returns how many reports were new (0 on a second run)."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["moderator", "moderator2", "senior"])
    }
    now = timezone.now()
    items = _reports(now)
    if Report.objects.filter(external_id=items[-1].external_id).exists():
        # Seeded before: the later additions still arrive (each is idempotent).
        return seed_floods(users) + seed_private_chats(users)
    items = _with_media(items)
    created = 0
    for start in range(0, len(items), 100):
        created += len(reports_ingest(items=items[start : start + 100], channel="demo").created)
    _backdate(items)
    _profiles(users)
    _decide_some(users)
    _appeal_some()
    _answer_some_appeals(users)
    created += seed_floods(users)
    created += seed_private_chats(users)
    seed_notes_and_templates(users)
    seed_transparency()  # last: it reports on everything seeded above
    return created
