"""
The rows a batch of reports needs before its reports are written: accounts, reporters and
subjects created once each (ON CONFLICT DO NOTHING, then one re-read), the open case of each
subject, and the advisory locks that keep two batches about one report or subject apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model, Q
from django.utils import timezone

from moderation.models import Case, Category, PlatformAccount, Reporter, Subject
from moderation.services import intake_sql
from moderation.services.intake_inputs import ReportInput


def unique_by_external_id(items: Sequence[ReportInput]) -> list[ReportInput]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.external_id not in seen:
            seen.add(item.external_id)
            unique.append(item)
    return unique


class SubjectRow(NamedTuple):
    """What intake needs of a subject: its id, its type (copied to its case) and its age."""

    pk: int
    type: str
    first_reported_at: datetime


def _insert(model: type[Model], names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """
    Insert rows (values by field name), skipping those a concurrent writer stored first: on
    PostgreSQL in one statement from plain tuples (intake_sql), elsewhere by the ORM.
    """
    if intake_sql.available():
        intake_sql.rows_insert(model, names, rows)
        return
    attnames = {f.name: f.attname for f in model._meta.concrete_fields}
    model._default_manager.bulk_create(
        [model(**{attnames[n]: v for n, v in zip(names, row, strict=True)}) for row in rows],
        ignore_conflicts=True,
    )


def accounts_ensure(items: list[ReportInput]) -> dict[str, int]:
    """Authors and chat owners, created in one insert (an author's details win); their ids."""
    wanted: dict[str, tuple[str, str, str, str]] = {}
    for item in items:
        s = item.subject
        wanted.setdefault(
            s.author_id,
            (
                s.author_id,
                s.author_username,
                s.author_display_name,
                s.author_kind or PlatformAccount.Kind.USER,
            ),
        )
    for item in items:
        owner = item.subject.chat_owner_id
        if owner:
            wanted.setdefault(owner, (owner, "", "", PlatformAccount.Kind.USER))
    names = ("platform_id", "username", "display_name", "kind")
    _insert(PlatformAccount, names, list(wanted.values()))
    return dict(
        PlatformAccount.objects.filter(platform_id__in=list(wanted)).values_list(
            "platform_id", "pk"
        )
    )


def reporters_ensure(items: list[ReportInput]) -> dict[str, Reporter]:
    ids = sorted({i.reporter_id for i in items if i.reporter_id})
    _insert(Reporter, ("platform_id",), [(r,) for r in ids])
    return {r.platform_id: r for r in Reporter.objects.filter(platform_id__in=ids)}


_SUBJECT_FIELDS = (
    "type",
    "platform_id",
    "author",
    "chat_id",
    "chat_kind",
    "chat_owner",
    "chat_title",
)


def subjects_ensure(
    items: list[ReportInput], accounts: dict[str, int]
) -> dict[tuple[str, str], SubjectRow]:
    wanted: dict[tuple[str, str], tuple[Any, ...]] = {}
    for item in items:
        s = item.subject
        wanted.setdefault(
            (s.type, s.platform_id),
            (
                s.type,
                s.platform_id,
                accounts[s.author_id],
                s.chat_id,
                s.chat_kind,
                accounts[s.chat_owner_id] if s.chat_owner_id else None,
                s.chat_title,
            ),
        )
    _insert(Subject, _SUBJECT_FIELDS, list(wanted.values()))
    # By (type, platform_id), the unique index's columns: a platform_id alone would scan.
    by_type: dict[str, list[str]] = {}
    for kind, platform_id in sorted(wanted):
        by_type.setdefault(kind, []).append(platform_id)
    pairs = Q()
    for kind, platform_ids in by_type.items():
        pairs |= Q(type=kind, platform_id__in=platform_ids)
    return {
        (kind, platform_id): SubjectRow(pk, kind, first_reported_at)
        for pk, kind, platform_id, first_reported_at in Subject.objects.filter(pairs).values_list(
            "pk", "type", "platform_id", "first_reported_at"
        )
    }


def active_cases(subject_ids: list[int]) -> dict[int, Case]:
    """The subjects' active cases, with what intake reads of them (id, subject, language)."""
    return {
        c.subject_id: c
        for c in Case.objects.filter(subject_id__in=subject_ids, status__in=Case.ACTIVE).only(
            "pk", "subject_id", "language"
        )
    }


def cases_open(
    items: list[ReportInput],
    subjects: dict[tuple[str, str], SubjectRow],
    categories: dict[str, Category],
    *,
    wanted: set[int],
    active: dict[int, Case],
) -> dict[int, Case]:
    """The active case of every subject, opening one for each `wanted` subject (race-safe)."""
    now = timezone.now()
    missing: dict[int, tuple[Any, ...]] = {}
    for item in items:
        subject = subjects[(item.subject.type, item.subject.platform_id)]
        if subject.pk not in wanted or subject.pk in active or subject.pk in missing:
            continue
        category = categories[item.category]
        missing[subject.pk] = (
            subject.pk,
            subject.type,
            category.pk,
            item.language,
            now + timedelta(hours=category.deadline_hours),
        )
    if not missing:
        return active
    # A concurrent batch may have opened the same subject's case a moment ago: the
    # partial unique constraint makes this insert a no-op, and the re-read finds theirs.
    _insert(
        Case,
        ("subject", "subject_type", "category", "language", "deadline_at"),
        list(missing.values()),
    )
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
