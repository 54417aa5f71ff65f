"""
Retention of evidence: what a report preserved at report time is kept as long as the
decision on its case may need it, then purged (daily, `moderation.tasks.purge_evidence`).

When. A resolved case's reports are purged once `EVIDENCE_RETENTION_DAYS[category][outcome]`
days have passed since the decision in force was made: `outcome` is "violation" unless that
decision found none ("no_violation"); a case whose decision was reversed on appeal counts as
"no_violation" from the reversal. Each report keeps the longer of its own category's period
and its case's ("default" for a category the setting does not name), so a child-safety
report inside a spam case is kept as child-safety evidence.

Never purged: a case never decided (whatever its status); a case with a pending appeal; a
case escalated to legal (it is not resolved); anything about an account under a legal hold
(`EvidenceHold`: placed by preservation orders, and by legal requests for the accounts they
name and the authors of the cases they cite, see `moderation.services.holds`). This module
imports nothing from the disclosures app: the holds are how a legal request reaches it.

What. A purged report loses its snapshot: the content text, the thread context, the
reporter's description (free text that often quotes the content or names people) and the
media URL (a pointer to the content on the platform's servers). It keeps what the records of
the decision need and what identifies without showing: its ids, external id, subject,
category, source, reporter, times, language, content type, chat id, deep link and the media's
SHA-256; `evidence_purged_at` says when. A media item's files are deleted (the row and its
hashes stay, `Media.purged_at` set) only once no report that is still retained references its
SHA-256: the same picture reported in a case still open or on hold stays.

How. Resolved cases are walked in id order over the (status, id) index, a chunk at a time,
each chunk in its own transaction with a fixed number of queries. Within it, the cases'
decisions and their authors' accounts are locked before the appeals and holds are read, so a
hold placed (which locks the account) or an appeal filed (whose insert waits on the
decision's lock) at the same moment either comes first and is seen, or comes after the
purge. One `evidence.purged` event per run records the counts, never any content. Running
it again purges nothing more: purged reports are no longer candidates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

import audit
from moderation import media_storage
from moderation.models import (
    Appeal,
    Case,
    Decision,
    EvidenceHold,
    Media,
    PlatformAccount,
    Report,
)
from moderation.models.decisions import Action

CHUNK = 200
VIOLATION, NO_VIOLATION = "violation", "no_violation"


@dataclass
class PurgeSummary:
    """Counts of one run (what the `evidence.purged` event records)."""

    reports: int = 0  # reports whose snapshot was cleared
    cases: int = 0  # cases with at least one report purged
    media: int = 0  # media items whose files were deleted
    files: int = 0  # files deleted (an image has three: original, view, guard)
    media_kept: int = 0  # media still referenced by a retained report
    kept_on_hold: int = 0  # due cases kept: their author's evidence is on legal hold
    kept_for_appeal: int = 0  # due cases kept: an appeal is pending
    chunks: int = 0
    orphan_files: int = 0  # files of no media item (a crash between write and commit), removed


def retention_days(category: str, outcome: str) -> int:
    """
    Days evidence of `category` is kept after a decision with `outcome`: the configured period,
    and never less than the appeal window, so evidence outlives the last day an appeal can
    still be lodged against the decision (DSA Art. 20: six months).
    """
    rules: dict[str, dict[str, int]] = settings.EVIDENCE_RETENTION_DAYS
    default = rules["default"]
    configured = int(rules.get(category, default).get(outcome, default[outcome]))
    return max(configured, int(settings.APPEAL_WINDOW_DAYS))


def _shortest_retention() -> timedelta:
    rules: dict[str, dict[str, int]] = settings.EVIDENCE_RETENTION_DAYS
    shortest = min(days for rule in rules.values() for days in rule.values())
    return timedelta(days=max(shortest, int(settings.APPEAL_WINDOW_DAYS)))


def _candidate_cases(*, after: int, resolved_before: datetime) -> list[int]:
    """
    The next chunk of resolved cases not yet marked purged, by id (index case_purge_due).

    Only cases resolved before the shortest retention are read; a case leaves the index once
    none of its reports holds evidence (`_mark_purged`), so a run costs what is due and what
    is kept (holds, appeals, longer retention), never the purged history.
    """
    return list(
        Case.objects.filter(
            status=Case.Status.RESOLVED,
            evidence_purged_at__isnull=True,
            resolved_at__lte=resolved_before,
            pk__gt=after,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:CHUNK]
    )


def _mark_purged(*, case_ids: list[int], now: datetime) -> None:
    """Mark those of these cases whose every report's evidence is gone."""
    unpurged = Report.objects.filter(case_id=OuterRef("pk"), evidence_purged_at__isnull=True)
    Case.objects.filter(pk__in=case_ids, evidence_purged_at__isnull=True).exclude(
        Exists(unpurged)
    ).update(evidence_purged_at=now)


@dataclass(frozen=True)
class _Standing:
    """Where a case's decision leaves its evidence: the outcome, since when."""

    outcome: str
    since: datetime


def _standing(decisions: list[dict[str, Any]], appeals: list[dict[str, Any]]) -> _Standing | None:
    """The decision in force (the latest), or the reversal that took the last one out of force."""
    if not decisions:
        return None  # never decided: never purged
    in_force = [d for d in decisions if d["status"] == Decision.Status.IN_FORCE]
    if in_force:
        current = max(in_force, key=lambda d: d["pk"])
        outcome = NO_VIOLATION if Action.NO_VIOLATION in current["actions"] else VIOLATION
        return _Standing(outcome, current["created_at"])
    ended = [a["decided_at"] for a in appeals if a["decided_at"] is not None]
    since = max(ended) if ended else max(d["created_at"] for d in decisions)
    return _Standing(NO_VIOLATION, since)


def _lock(case_ids: list[int], author_ids: set[int]) -> list[dict[str, Any]]:
    """Lock the cases' decisions and their authors' accounts; returns the decisions."""
    decisions: list[dict[str, Any]] = [
        dict(row)
        for row in Decision.objects.select_for_update()
        .filter(case_id__in=case_ids)
        .order_by("pk")
        .values("pk", "case_id", "status", "actions", "created_at")
    ]
    list(
        PlatformAccount.objects.select_for_update()
        .filter(pk__in=sorted(author_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return decisions


@transaction.atomic(durable=True)
def _purge_chunk(*, case_ids: list[int], now: datetime, summary: PurgeSummary) -> None:
    cases = {
        c["pk"]: c
        for c in Case.objects.filter(pk__in=case_ids).values(
            "pk", "category__code", "subject__author_id", "rollup_parent_id"
        )
    }
    authors = {c["subject__author_id"] for c in cases.values()}
    # A message case resolved with its private group's decision has none of its own: its
    # evidence follows the group case's decision (and that decision's appeals).
    parents = {pk: c["rollup_parent_id"] for pk, c in cases.items() if c["rollup_parent_id"]}
    deciding = sorted(set(case_ids) | set(parents.values()))
    by_case: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for decision in _lock(deciding, authors):
        by_case[decision["case_id"]].append(decision)
    appeals: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for appeal in Appeal.objects.filter(decision__case_id__in=deciding).values(
        "decision__case_id", "status", "decided_at"
    ):
        appeals[appeal["decision__case_id"]].append(dict(appeal))
    held = set(
        EvidenceHold.objects.filter(account_id__in=sorted(authors), released_at__isnull=True)
        .order_by()
        .values_list("account_id", flat=True)
    )

    standing: dict[int, _Standing] = {}
    for pk, case in cases.items():
        source = pk if by_case[pk] or pk not in parents else parents[pk]
        found = _standing(by_case[source], appeals[source])
        if found is None:
            continue
        due = now - timedelta(days=retention_days(case["category__code"], found.outcome))
        # Due by the case's own category; a report's category may still keep it longer.
        if found.since > due:
            continue
        if any(a["status"] == Appeal.Status.PENDING for a in appeals[source]):
            summary.kept_for_appeal += 1
        elif case["subject__author_id"] in held:
            summary.kept_on_hold += 1
        else:
            standing[pk] = found
    if not standing:
        return

    purged: list[int] = []
    shas: set[str] = set()
    purged_cases: set[int] = set()
    for report in Report.objects.filter(
        case_id__in=sorted(standing), evidence_purged_at__isnull=True
    ).values("pk", "case_id", "category__code", "media_sha256"):
        found = standing[report["case_id"]]
        days = max(
            retention_days(cases[report["case_id"]]["category__code"], found.outcome),
            retention_days(report["category__code"], found.outcome),
        )
        if found.since + timedelta(days=days) <= now:
            purged.append(report["pk"])
            purged_cases.add(report["case_id"])
            if report["media_sha256"]:
                shas.add(report["media_sha256"])
    if not purged:
        return
    Report.objects.filter(pk__in=purged).update(
        content_text="",
        context=[],
        description="",
        media_url="",
        evidence_purged_at=now,
    )
    summary.reports += len(purged)
    summary.cases += len(purged_cases)
    _purge_media(shas=shas, now=now, summary=summary)


@transaction.atomic(durable=True)
def _purge_caseless(*, now: datetime, summary: PurgeSummary) -> None:
    """
    A muted reporter's reports that no case ever took: nothing was decided about them, so
    they are kept as long as "no violation" evidence of their category, counted from when they
    arrived; their author's legal hold keeps them as it keeps every other report.
    """
    rows = list(
        Report.objects.select_for_update()
        .filter(
            case__isnull=True,
            evidence_purged_at__isnull=True,
            received_at__lte=now - _shortest_retention(),
        )
        .order_by("pk")
        .values("pk", "category__code", "received_at", "media_sha256", "subject__author_id")
    )
    if not rows:
        return
    held = set(
        EvidenceHold.objects.filter(
            account_id__in={r["subject__author_id"] for r in rows}, released_at__isnull=True
        )
        .order_by()
        .values_list("account_id", flat=True)
    )
    due = [
        r
        for r in rows
        if r["subject__author_id"] not in held
        and r["received_at"] + timedelta(days=retention_days(r["category__code"], NO_VIOLATION))
        <= now
    ]
    summary.kept_on_hold += sum(1 for r in rows if r["subject__author_id"] in held)
    if not due:
        return
    Report.objects.filter(pk__in=[r["pk"] for r in due]).update(
        content_text="", context=[], description="", media_url="", evidence_purged_at=now
    )
    summary.reports += len(due)
    _purge_media(
        shas={r["media_sha256"] for r in due if r["media_sha256"]}, now=now, summary=summary
    )


def _purge_media(*, shas: set[str], now: datetime, summary: PurgeSummary) -> None:
    """Delete the files of media that no retained report references any more."""
    if not shas:
        return
    # Locked first: a re-upload of the same bytes (media_ingest restores under this lock)
    # waits, then finds the row purged and writes the files again.
    items = list(
        Media.objects.select_for_update()
        .filter(sha256__in=sorted(shas), purged_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "sha256")
    )
    if not items:
        return
    retained = set(
        Report.objects.filter(
            media_sha256__in=[sha for _pk, sha in items], evidence_purged_at__isnull=True
        )
        .order_by()
        .values_list("media_sha256", flat=True)
        .distinct()
    )
    orphaned = [(pk, sha) for pk, sha in items if sha not in retained]
    summary.media_kept += len(items) - len(orphaned)
    if not orphaned:
        return
    for _pk, sha in orphaned:
        summary.files += media_storage.media_delete(sha)
    Media.objects.filter(pk__in=[pk for pk, _sha in orphaned]).update(purged_at=now)
    summary.media += len(orphaned)


@transaction.atomic(durable=True)
def _record(summary: PurgeSummary) -> None:
    audit.record(
        action="evidence.purged", actor=None, target_type="moderation.report", data=asdict(summary)
    )


def evidence_purge(*, now: datetime | None = None) -> PurgeSummary:
    """
    Purge the evidence whose retention has passed (see the module's docstring); returns the
    counts, which one `evidence.purged` event also records.
    """
    now = now or timezone.now()
    summary = PurgeSummary()
    resolved_before = now - _shortest_retention()
    after = 0
    while case_ids := _candidate_cases(after=after, resolved_before=resolved_before):
        _purge_chunk(case_ids=case_ids, now=now, summary=summary)
        _mark_purged(case_ids=case_ids, now=now)
        summary.chunks += 1
        after = case_ids[-1]
    _purge_caseless(now=now, summary=summary)
    summary.orphan_files = _orphan_files_remove(now=now)
    _record(summary)
    return summary


# Files younger than this are left alone: an upload writes its files before it commits its row.
ORPHAN_AGE = timedelta(days=1)
ORPHAN_CHUNK = 1000


def _orphan_files_remove(*, now: datetime) -> int:
    """Delete media files that belong to no media item in force (and stale temporary files)."""
    by_item: dict[str, list[Path]] = {}
    removed = 0
    for sha256, path in media_storage.media_leftovers(older_than=(now - ORPHAN_AGE).timestamp()):
        if not sha256:
            path.unlink(missing_ok=True)
            removed += 1
        else:
            by_item.setdefault(sha256, []).append(path)
    items = sorted(by_item)
    for start in range(0, len(items), ORPHAN_CHUNK):
        chunk = items[start : start + ORPHAN_CHUNK]
        kept = set(
            Media.objects.filter(sha256__in=chunk, purged_at__isnull=True).values_list(
                "sha256", flat=True
            )
        )
        for sha256 in chunk:
            if sha256 in kept:
                continue
            for path in by_item[sha256]:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
