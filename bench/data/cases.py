"""Subjects, cases and reports, with priorities as the project computes them."""

from __future__ import annotations

import bisect
import itertools
import json
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.core import Scale
from bench.data.base import (
    CASE_AGE_MAX_HOURS,
    CASE_AGE_MEAN_HOURS,
    HEAVY_SHARES,
    LANGUAGES,
    PROLIFIC_SHARE,
    REPORTS_PER_CASE,
    SOURCES,
    STATUSES,
    SUBJECT_TYPES,
    TEXTS,
    Copier,
    Facts,
    max_id,
    weighted,
)

# --- subjects, cases, reports ---------------------------------------------------------------


def _author_picker(
    rng: random.Random, facts: Facts, accounts: tuple[int, int]
) -> Callable[[], int]:
    first, last = accounts
    heavy = [(PROLIFIC_SHARE, facts.prolific_author)]
    heavy += [(share, facts.prolific_author + 1 + n) for n, share in enumerate(HEAVY_SHARES)]
    cum = list(itertools.accumulate(share for share, _ in heavy))
    ids = [pk for _, pk in heavy]

    def pick() -> int:
        r = rng.random()
        i = bisect.bisect_right(cum, r)
        return ids[i] if i < len(ids) else rng.randint(first + len(ids), last)

    return pick


def cases(want: dict[str, int], facts: Facts, rng: random.Random, scale: Scale) -> None:
    from moderation.models import Case, Category, Report, Subject
    from moderation.models.cases import SOURCE_FLAGS
    from moderation.services.priority import (
        PriorityInputs,
        compute_priority,
        deadline_points_change_at,
    )

    now = facts.now
    first_case = max_id(Case) + 1
    # Cases made by measurements in between (intake) do not count towards the stage's size.
    n = want["cases"] - facts.cases_generated
    if n <= 0:
        return
    facts.cases_generated += n
    first_subject = max_id(Subject) + 1
    first_report = max_id(Report) + 1
    # Only the rows generated here: measurements in between may have added others (intake).
    accounts, reporters = facts.accounts, facts.reporters
    categories = list(Category.objects.all())
    # Common harms often, the gravest rarely.
    category = weighted(rng, {c: (6 - c.severity) ** 2 for c in categories})
    subject_type = weighted(rng, SUBJECT_TYPES)
    status = weighted(rng, STATUSES)
    language = weighted(rng, LANGUAGES)
    source = weighted(rng, SOURCES)
    per_case = weighted(rng, REPORTS_PER_CASE)
    author = _author_picker(rng, facts, accounts)
    chats = max(50, scale.accounts // 20)
    mods = facts.moderators

    subjects: list[tuple[Any, ...]] = []
    cases: list[tuple[Any, ...]] = []
    reports: list[tuple[Any, ...]] = []
    report_id = first_report
    for i in range(n):
        pk = first_case + i
        spk = first_subject + i
        kind = subject_type()
        chat = ""
        chat_kind = ""
        if kind == "message":
            # Chats are skewed too: a tenth of them carry most reported messages.
            chat = f"chat-{int(chats * rng.random() ** 3)}"
            chat_kind = "group" if rng.random() < 0.6 else "channel"
        age = min(rng.expovariate(1 / CASE_AGE_MEAN_HOURS), CASE_AGE_MAX_HOURS)
        opened = now - timedelta(hours=age)
        subjects.append((spk, kind, f"{kind}-{spk}", author(), chat, chat_kind, opened))

        cat = category()
        st = status()
        lang = language()
        k = per_case()
        srcs = set()
        reporter_ids = set()
        for r in range(k):
            src = source()
            srcs.add(src)
            rep = rng.randint(*reporters) if src == "user" else None
            if rep:
                reporter_ids.add(rep)
            received = opened + timedelta(minutes=r * rng.randint(1, 90))
            reports.append(
                (
                    report_id,
                    f"bench-{report_id:010d}",  # padded: the unique index grows at its end
                    pk,
                    spk,
                    cat.pk,
                    src,
                    rep,
                    received,
                    received,
                    lang,
                    rng.choice(TEXTS),
                    chat,
                )
            )
            report_id += 1
        deadline = opened + timedelta(hours=cat.deadline_hours)
        inputs = PriorityInputs(
            severity=cat.severity,
            reporter_count=len(reporter_ids),
            has_trusted_flagger="trusted_flagger" in srcs,
            has_authority="authority" in srcs,
            reports_resolved=0,
            reports_actioned=0,
            max_signal_score=0,
            opened_at=opened,
            deadline_at=deadline,
        )
        score, components = compute_priority(inputs, now=now)
        active = st != "resolved"
        changes = (
            deadline_points_change_at(opened_at=opened, deadline_at=deadline, now=now)
            if active
            else None
        )
        claimed_by = rng.choice(mods) if st == "claimed" else None
        escalation = {"escalated": "senior", "legal": "legal"}.get(st, "")
        cases.append(
            (
                pk,
                spk,
                st,
                kind,
                cat.pk,
                lang,
                "user" in srcs,
                "trusted_flagger" in srcs,
                "authority" in srcs,
                "automated" in srcs,
                k,
                len(reporter_ids),
                score,
                json.dumps({"components": components, "computed_at": now.isoformat()}),
                deadline,
                changes,
                claimed_by,
                now + timedelta(minutes=30) if claimed_by else None,
                escalation,
                facts.senior if escalation else None,
                opened,
                now,
                opened + timedelta(hours=min(age, 24)) if not active else None,
            )
        )
    Copier(
        Subject,
        ["id", "type", "platform_id", "author", "chat_id", "chat_kind", "first_reported_at"],
        now,
    ).copy(subjects, facts.load)
    Copier(
        Case,
        [
            "id",
            "subject",
            "status",
            "subject_type",
            "category",
            "language",
            *SOURCE_FLAGS,
            "report_count",
            "reporter_count",
            "priority",
            "priority_explanation",
            "deadline_at",
            "score_changes_at",
            "claimed_by",
            "claim_expires_at",
            "escalation",
            "escalated_by",
            "created_at",
            "updated_at",
            "resolved_at",
        ],
        now,
    ).copy(cases, facts.load)
    Copier(
        Report,
        [
            "id",
            "external_id",
            "case",
            "subject",
            "category",
            "source",
            "reporter",
            "reported_at",
            "received_at",
            "language",
            "content_text",
            "chat_id",
        ],
        now,
    ).copy(reports, facts.load)
