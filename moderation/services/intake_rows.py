"""
The rows a batch of reports needs before its reports are written: accounts, reporters and
subjects created once each (ON CONFLICT DO NOTHING, then one re-read), the open case of each
subject, and the advisory locks that keep two batches about one report or subject apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from moderation.models import Case, Category, PlatformAccount, Reporter, Subject
from moderation.services.intake_inputs import (
    ReportInput,
)


def unique_by_external_id(items: Sequence[ReportInput]) -> list[ReportInput]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.external_id not in seen:
            seen.add(item.external_id)
            unique.append(item)
    return unique


def accounts_ensure(items: list[ReportInput]) -> dict[str, PlatformAccount]:
    """Authors and chat owners, created in one insert (an author's details win)."""
    wanted: dict[str, Any] = {}
    for item in items:
        s = item.subject
        wanted.setdefault(
            s.author_id,
            PlatformAccount(
                platform_id=s.author_id,
                username=s.author_username,
                display_name=s.author_display_name,
                kind=s.author_kind or PlatformAccount.Kind.USER,
            ),
        )
    for item in items:
        owner = item.subject.chat_owner_id
        if owner:
            wanted.setdefault(owner, PlatformAccount(platform_id=owner))
    PlatformAccount.objects.bulk_create(wanted.values(), ignore_conflicts=True)
    return {a.platform_id: a for a in PlatformAccount.objects.filter(platform_id__in=list(wanted))}


def reporters_ensure(items: list[ReportInput]) -> dict[str, Reporter]:
    ids = sorted({i.reporter_id for i in items if i.reporter_id})
    Reporter.objects.bulk_create([Reporter(platform_id=r) for r in ids], ignore_conflicts=True)
    return {r.platform_id: r for r in Reporter.objects.filter(platform_id__in=ids)}


def subjects_ensure(
    items: list[ReportInput], accounts: dict[str, PlatformAccount]
) -> dict[tuple[str, str], Subject]:
    wanted: dict[tuple[str, str], Any] = {}
    for item in items:
        s = item.subject
        wanted.setdefault(
            (s.type, s.platform_id),
            Subject(
                type=s.type,
                platform_id=s.platform_id,
                author=accounts[s.author_id],
                chat_id=s.chat_id,
                chat_kind=s.chat_kind,
                chat_owner=accounts[s.chat_owner_id] if s.chat_owner_id else None,
                chat_title=s.chat_title,
            ),
        )
    Subject.objects.bulk_create(wanted.values(), ignore_conflicts=True)
    # By (type, platform_id), the unique index's columns: a platform_id alone would scan.
    by_type: dict[str, list[str]] = {}
    for kind, platform_id in sorted(wanted):
        by_type.setdefault(kind, []).append(platform_id)
    pairs = Q()
    for kind, platform_ids in by_type.items():
        pairs |= Q(type=kind, platform_id__in=platform_ids)
    return {(s.type, s.platform_id): s for s in Subject.objects.filter(pairs)}


def active_cases(subject_ids: list[int]) -> dict[int, Case]:
    return {
        c.subject_id: c
        for c in Case.objects.filter(subject_id__in=subject_ids, status__in=Case.ACTIVE)
    }


def cases_open(
    items: list[ReportInput],
    subjects: dict[tuple[str, str], Subject],
    categories: dict[str, Category],
    *,
    wanted: set[int],
    active: dict[int, Case],
) -> dict[int, Case]:
    """The active case of every subject, opening one for each `wanted` subject (race-safe)."""
    now = timezone.now()
    missing = {}
    for item in items:
        subject = subjects[(item.subject.type, item.subject.platform_id)]
        if subject.pk not in wanted or subject.pk in active or subject.pk in missing:
            continue
        category = categories[item.category]
        missing[subject.pk] = Case(
            subject=subject,
            subject_type=subject.type,
            category=category,
            language=item.language,
            deadline_at=now + timedelta(hours=category.deadline_hours),
        )
    if not missing:
        return active
    # A concurrent batch may have opened the same subject's case a moment ago: the
    # partial unique constraint makes this insert a no-op, and the re-read finds theirs.
    Case.objects.bulk_create(missing.values(), ignore_conflicts=True)
    # Re-read only the subjects that had no case: the others' cases are in hand already.
    return {**active, **active_cases(sorted(missing))}


def batch_lock(external_ids: list[str], subject_keys: list[str]) -> None:
    """
    Serialise concurrent batches that carry the same external_id or the same subject, until
    this transaction ends.

    Without it, two batches sending one report at once both see it as new: the database stores
    it once, but both would answer "created" and attach their signals twice. With the lock
    the later batch waits, then finds the report and answers "duplicate". The subject keys
    make two batches about one recently cleared subject count its held reporters one after
    the other, so together they reopen it when neither would alone. Keys are taken in one
    global order, in one statement, so two batches cannot deadlock. (SQLite serialises
    writers already.)
    """
    if connection.vendor != "postgresql" or not external_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(key) FROM ("
            "  SELECT DISTINCT hashtextextended(external_id, %s) AS key"
            "  FROM unnest(%s::text[]) AS external_id"
            "  UNION"
            "  SELECT hashtextextended(subject_key, %s) AS key"
            "  FROM unnest(%s::text[]) AS subject_key"
            "  ORDER BY key"
            ") AS keys",
            [_INTAKE_LOCK_SEED, external_ids, _SUBJECT_LOCK_SEED, subject_keys],
        )


# Seed the hash of the advisory lock keys, so they do not meet other users of advisory locks.
_INTAKE_LOCK_SEED = 0x7E_9031
_SUBJECT_LOCK_SEED = 0x7E_9032


def subject_key(item: ReportInput) -> str:
    return f"{item.subject.type}:{item.subject.platform_id}"
