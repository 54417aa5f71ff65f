"""
Report intake: one report or a batch of up to 500, stored with a bounded number of queries.

Idempotent on external_id; reports about one subject join its open case; two batches
racing on a new subject still make one case (partial unique constraint + ON CONFLICT DO
NOTHING, then a re-read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

import audit
from moderation import chat_kinds, events
from moderation.detectors import OFF, detector_key, detector_modes
from moderation.dsa import content_language
from moderation.language import detect_language
from moderation.models import Case, CaseSignal, Category, PlatformAccount, Report, Reporter, Subject
from moderation.services import deliveries, rollup
from moderation.services import intake_holds as holds
from moderation.services.priority import cases_count_held, cases_refresh

# How far ahead of this server's clock a posting time may be: the platform's clock may run a
# little fast, but content cannot be posted after it was received.
POSTED_AT_MAX_SKEW = timedelta(minutes=5)

# The detector kind of the scores the platform sends with reports ("platform:<name>").
PLATFORM = "platform"

# Thread context: the messages around a reported message in its group or channel (public or
# private). Enough to judge a reply or a pile-on, few enough that a report stays a report, not
# a chat export.
CONTEXT_MAX_PER_SIDE = 10
CONTEXT_TEXT_MAX = 4096  # the platform's own limit on a message's text
CONTEXT_POSITIONS = ("before", "after")
# "platform": the platform observed the message in the group or channel; "reporter": the
# reporter supplied it (from a private chat, say), and nothing vouches for it.
CONTEXT_PROVENANCES = ("platform", "reporter")
CONTEXT_CHAT_KINDS = tuple(sorted(chat_kinds.THREAD_CHAT_KINDS))
# Where a report's evidence snapshot came from (Report.Provenance); "" takes the chat kind's
# default (chat_kinds.default_provenance).
EVIDENCE_PROVENANCES = tuple(Report.Provenance.values)
CHAT_KINDS = tuple(Subject.ChatKind.values)


@dataclass(frozen=True)
class SignalInput:
    kind: str  # classifier | hash_match
    name: str
    score: int  # 0-100
    label: str = ""
    matched_hash: str = ""


@dataclass(frozen=True)
class SubjectInput:
    type: str
    platform_id: str
    author_id: str
    author_username: str = ""
    author_display_name: str = ""
    author_kind: str = PlatformAccount.Kind.USER
    chat_id: str = ""
    chat_kind: str = ""
    text: str = ""
    content_type: str = "text"
    media_sha256: str = ""
    # PDQ the platform computed for media it keeps itself (no bytes sent), with its quality.
    media_pdq: str = ""
    media_pdq_quality: int | None = None
    media_url: str = ""
    deep_link: str = ""
    search_query: str = ""  # what the user searched for (search_result subjects)
    posted_at: datetime | None = None
    # "" takes the chat kind's default: "reporter" for a private kind, "platform" otherwise.
    evidence_provenance: str = ""
    # A message in a private group or channel: its chat's owner (required) and title.
    chat_owner_id: str = ""
    chat_title: str = ""


@dataclass(frozen=True)
class ContextMessageInput:
    """One message of the thread around the reported one, as stored on `Report.context`."""

    position: str  # before | after
    message_id: str
    author_id: str
    posted_at: datetime
    text: str = ""
    author_name: str = ""
    provenance: str = "platform"  # platform | reporter

    def as_json(self) -> dict[str, str]:
        return {
            "position": self.position,
            "message_id": self.message_id,
            "author_id": self.author_id,
            "author_name": self.author_name,
            # UTC with a "Z": one fixed shape, so pages can show it without parsing.
            "posted_at": self.posted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "text": self.text,
            "provenance": self.provenance,
        }


@dataclass(frozen=True)
class ReportInput:
    external_id: str
    category: str
    source: str
    reporter_id: str
    description: str
    reported_at: datetime
    subject: SubjectInput
    language: str = ""
    flagger_name: str = ""
    signals: tuple[SignalInput, ...] = ()
    context: tuple[ContextMessageInput, ...] = ()


@dataclass
class IngestResult:
    report_ids: dict[str, int] = field(default_factory=dict)  # external_id -> report id
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # external_id -> reason
    # external_id -> the refused field ("" when the report as a whole is refused)
    rejected_fields: dict[str, str] = field(default_factory=dict)
    # external_id -> case id; absent for a muted reporter's report that found no case
    case_ids: dict[str, int] = field(default_factory=dict)
    # external_id -> why a new report was stored without being queued (Report.Held)
    held: dict[str, str] = field(default_factory=dict)

    def reject(self, external_id: str, reason: str, *, field: str = "") -> None:
        self.rejected[external_id] = reason
        self.rejected_fields[external_id] = field


def language_refusal(code: str) -> str | None:
    """Why intake refuses a report's language, or None when the EU database lists it."""
    if not code or content_language(code) is not None:
        return None
    return (
        f"language {code[:8]!r} is not an ISO 639-1 code that the EU Transparency Database "
        "lists; use a lower-case code such as 'en', or leave it out."
    )


def posted_at_refusal(posted_at: datetime | None, *, now: datetime) -> str | None:
    """Why intake refuses a posting time, or None when it is not in the future."""
    if posted_at is None or posted_at <= now + POSTED_AT_MAX_SKEW:
        return None
    minutes = int(POSTED_AT_MAX_SKEW.total_seconds() // 60)
    return (
        f"posted_at is in the future ({posted_at.isoformat()}); content cannot be posted "
        f"after it is reported (at most {minutes} minutes of clock skew are allowed)."
    )


def _context_message_refusal(n: int, message: ContextMessageInput, *, now: datetime) -> str | None:
    if message.position not in CONTEXT_POSITIONS:
        return f"item {n}: position must be 'before' or 'after'."
    if message.provenance not in CONTEXT_PROVENANCES:
        return f"item {n}: provenance must be 'platform' or 'reporter'."
    if not message.message_id or not message.author_id:
        return f"item {n}: message_id and author_id are required."
    if len(message.text) > CONTEXT_TEXT_MAX:
        return f"item {n}: text is longer than {CONTEXT_TEXT_MAX} characters."
    if timezone.is_naive(message.posted_at):
        return f"item {n}: posted_at needs a time zone."
    refusal = posted_at_refusal(message.posted_at, now=now)
    return f"item {n}: {refusal}" if refusal else None


def provenance_problem(chat_kind: str, provenance: str) -> str | None:
    """Why a report's evidence cannot claim `provenance` (None when it can, or is left out)."""
    if not provenance:
        return None
    if provenance not in EVIDENCE_PROVENANCES:
        return "evidence_provenance must be 'platform' or 'reporter'."
    return chat_kinds.provenance_refusal(chat_kind, provenance)


def chat_owner_problem(*, subject_type: str, chat_kind: str, chat_owner_id: str) -> str | None:
    """
    Why a subject's chat owner is refused: a message in a private group or channel needs it
    (its roll-up case is about the owner's chat), and no other subject has one.
    """
    owned = subject_type == Subject.Type.MESSAGE and chat_kind in chat_kinds.ROLLUP_CHAT_KINDS
    if owned and not chat_owner_id:
        return (
            "chat_owner_id is required for a message in a private group or private channel: "
            "the platform account that owns the chat."
        )
    if chat_owner_id and not owned:
        return (
            "chat_owner_id is only for a message in a private group or private channel "
            "(subject.type 'message', subject.chat_kind 'private_group' or 'private_channel')."
        )
    return None


def subject_refusal(subject: SubjectInput) -> tuple[str, str] | None:
    """(field, why) when intake refuses the subject's chat fields, or None."""
    if subject.chat_kind and subject.chat_kind not in CHAT_KINDS:
        return "subject.chat_kind", f"chat_kind must be one of: {', '.join(CHAT_KINDS)}."
    refusal = provenance_problem(subject.chat_kind, subject.evidence_provenance)
    if refusal:
        return "subject.evidence_provenance", refusal
    refusal = chat_owner_problem(
        subject_type=subject.type,
        chat_kind=subject.chat_kind,
        chat_owner_id=subject.chat_owner_id,
    )
    if refusal:
        return "subject.chat_owner_id", refusal
    return None


def context_refusal(
    context: Sequence[ContextMessageInput], *, subject: SubjectInput | None, now: datetime
) -> str | None:
    """
    Why intake refuses a report's thread context, or None when it may be stored.

    The messages come in thread order: every "before" one, oldest first, then every "after"
    one; at most CONTEXT_MAX_PER_SIDE on each side, each message once, the reported message
    (when its time is known) between them. Only a message in a group or channel, public or
    private, has a thread; in a private one the platform observed none of it, so every
    message must be the reporter's. `subject` is None when the caller refused it already.
    """
    if not context:
        return None
    if subject is not None and (
        subject.type != "message" or subject.chat_kind not in CONTEXT_CHAT_KINDS
    ):
        return (
            "Thread context is accepted only for a message in a group or channel, public or "
            "private (subject.type 'message', subject.chat_kind 'group', 'channel', "
            "'private_group' or 'private_channel')."
        )
    if subject is not None and chat_kinds.is_private(subject.chat_kind):
        for n, message in enumerate(context):
            if message.provenance == Report.Provenance.PLATFORM:
                return f"item {n}: {chat_kinds.provenance_refusal(subject.chat_kind, 'platform')}"
    for side in CONTEXT_POSITIONS:
        count = sum(1 for m in context if m.position == side)
        if count > CONTEXT_MAX_PER_SIDE:
            return (
                f"At most {CONTEXT_MAX_PER_SIDE} messages '{side}' the reported one "
                f"({count} given)."
            )
    seen: set[str] = set()
    previous: ContextMessageInput | None = None
    for n, message in enumerate(context):
        refusal = _context_message_refusal(n, message, now=now)
        if refusal:
            return refusal
        if message.message_id in seen:
            return f"item {n}: message {message.message_id!r} is given twice."
        seen.add(message.message_id)
        if previous is not None:
            if previous.position == "after" and message.position == "before":
                return (
                    f"item {n}: a 'before' message follows an 'after' one; send the thread "
                    "in order."
                )
            if message.posted_at < previous.posted_at:
                return f"item {n}: posted before the message above it; send the thread in order."
        reported = subject.posted_at if subject is not None else None
        if reported is not None and (
            (message.position == "before" and message.posted_at > reported)
            or (message.position == "after" and message.posted_at < reported)
        ):
            return (
                f"item {n}: a message '{message.position}' the reported one must be posted "
                f"{'no later' if message.position == 'before' else 'no earlier'} than it."
            )
        previous = message
    return None


def _checked(item: ReportInput, result: IngestResult, *, now: datetime) -> ReportInput | None:
    """
    The item with its language in lower case and its evidence provenance filled in, or None
    once refused into `result`.
    """
    refused = subject_refusal(item.subject)
    if refused:
        result.reject(item.external_id, refused[1], field=refused[0])
        return None
    refusal = language_refusal(item.language)
    if refusal:
        result.reject(item.external_id, refusal, field="language")
        return None
    refusal = posted_at_refusal(item.subject.posted_at, now=now)
    if refusal:
        result.reject(item.external_id, refusal, field="subject.posted_at")
        return None
    refusal = context_refusal(item.context, subject=item.subject, now=now)
    if refusal:
        result.reject(item.external_id, refusal, field="context")
        return None
    provenance = item.subject.evidence_provenance or chat_kinds.default_provenance(
        item.subject.chat_kind
    )
    return replace(
        item,
        language=item.language.lower(),
        subject=replace(item.subject, evidence_provenance=provenance),
    )


def _unique_by_external_id(items: Sequence[ReportInput]) -> list[ReportInput]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.external_id not in seen:
            seen.add(item.external_id)
            unique.append(item)
    return unique


def _ensure_accounts(items: list[ReportInput]) -> dict[str, PlatformAccount]:
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


def _ensure_reporters(items: list[ReportInput]) -> dict[str, Reporter]:
    ids = sorted({i.reporter_id for i in items if i.reporter_id})
    Reporter.objects.bulk_create([Reporter(platform_id=r) for r in ids], ignore_conflicts=True)
    return {r.platform_id: r for r in Reporter.objects.filter(platform_id__in=ids)}


def _ensure_subjects(
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
    found = Subject.objects.filter(platform_id__in=sorted({k[1] for k in wanted}))
    return {(s.type, s.platform_id): s for s in found if (s.type, s.platform_id) in wanted}


def _active_cases(subject_ids: list[int]) -> dict[int, Case]:
    return {
        c.subject_id: c
        for c in Case.objects.filter(subject_id__in=subject_ids, status__in=Case.ACTIVE)
    }


def _open_cases(
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
    return _active_cases(sorted({s.pk for s in subjects.values()}))


def _lock_batch(external_ids: list[str], subject_keys: list[str]) -> None:
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


def _subject_key(item: ReportInput) -> str:
    return f"{item.subject.type}:{item.subject.platform_id}"


@transaction.atomic
def reports_ingest(*, items: Sequence[ReportInput], channel: str = "api") -> IngestResult:
    """Store new reports, attach them to cases and re-prioritise those cases."""
    result = IngestResult()
    unique = _unique_by_external_id(items)
    _lock_batch([i.external_id for i in unique], sorted({_subject_key(i) for i in unique}))
    existing = {
        ext: (report_id, case_id)
        for ext, report_id, case_id in Report.objects.filter(
            external_id__in=[i.external_id for i in unique]
        ).values_list("external_id", "id", "case_id")
    }
    categories = {c.code: c for c in Category.objects.all()}
    now = timezone.now()
    fresh = []
    for item in unique:
        if item.external_id in existing:
            result.duplicates.append(item.external_id)
            report_id, case_id = existing[item.external_id]
            result.report_ids[item.external_id] = report_id
            if case_id is not None:
                result.case_ids[item.external_id] = case_id
        elif item.category not in categories:
            result.reject(item.external_id, f"unknown category {item.category!r}", field="category")
        elif checked := _checked(item, result, now=now):
            fresh.append(checked)
    if not fresh:
        return result

    accounts = _ensure_accounts(fresh)
    reporters = _ensure_reporters(fresh)
    subjects = _ensure_subjects(fresh, accounts)
    subject_of = {
        i.external_id: subjects[(i.subject.type, i.subject.platform_id)].pk for i in fresh
    }
    active = _active_cases(sorted(set(subject_of.values())))
    # Only a subject reported before this batch can have a cleared case or case-less reports:
    # a batch of new subjects skips those queries (and costs what it did before holds).
    known = {s.pk for s in subjects.values() if s.first_reported_at <= now}
    cleared = holds.cleared_cases(subject_ids=known - set(active), now=now)
    plan = holds.plan_holds(
        items=fresh,
        subject_of=subject_of,
        reporters=reporters,
        categories=categories,
        active_subjects=set(active),
        cleared=cleared,
        held_reporters=holds.held_reporters_since_decision(cleared),
    )
    cases = _open_cases(fresh, subjects, categories, wanted=plan.needs_case, active=active)
    # Lock the cases (in id order, so concurrent batches cannot deadlock) before counting;
    # the cleared cases too, whose held counts change.
    cleared_ids = {c.case_id for c in cleared.values()}
    locked_ids = list(
        Case.objects.select_for_update()
        .filter(pk__in=sorted({c.pk for c in cases.values()} | cleared_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moves = {
        subject_id: (cleared[subject_id], cases[subject_id].pk)
        for subject_id in plan.reopened
        if subject_id in cases
    }
    unheld = holds.held_reports_move(moves=moves)
    attached = holds.caseless_reports_attach(
        subject_ids=[pk for pk in plan.needs_case if pk in cases and pk in known]
    )

    def case_id_of(item: ReportInput) -> int | None:
        subject_id = subject_of[item.external_id]
        if item.external_id in plan.on_cleared_case:
            return plan.on_cleared_case[item.external_id]
        case = cases.get(subject_id)
        return case.pk if case is not None else None

    reports = []
    detected: dict[str, str] = {}
    for item in fresh:
        if not item.language and item.subject.text:
            # A guess outside the EU database's list is no language at all ("unknown").
            guess = detect_language(item.subject.text)
            if guess and content_language(guess):
                detected[item.external_id] = guess.lower()
    for item in fresh:
        s = item.subject
        subject = subjects[(s.type, s.platform_id)]
        reports.append(
            Report(
                external_id=item.external_id,
                case_id=case_id_of(item),
                held=plan.held[item.external_id],
                subject=subject,
                category=categories[item.category],
                source=item.source,
                reporter=reporters.get(item.reporter_id),
                flagger_name=item.flagger_name,
                description=item.description,
                reported_at=item.reported_at,
                language=item.language or detected.get(item.external_id, ""),
                language_detected=bool(detected.get(item.external_id)),
                content_text=s.text,
                content_type=s.content_type,
                media_sha256=s.media_sha256,
                media_pdq=s.media_pdq,
                media_pdq_quality=s.media_pdq_quality,
                media_url=s.media_url,
                evidence_provenance=s.evidence_provenance,
                deep_link=s.deep_link,
                search_query=s.search_query,
                chat_id=s.chat_id,
                posted_at=s.posted_at,
                context=[message.as_json() for message in item.context],
            )
        )
    # ignore_conflicts: the same external_id sent twice at once is stored once.
    Report.objects.bulk_create(reports, ignore_conflicts=True)
    stored = {
        r.external_id: r
        for r in Report.objects.filter(external_id__in=[i.external_id for i in fresh]).only(
            "id", "external_id", "case_id"
        )
    }
    # Scores the platform sends are detectors like any other: off stores nothing, shadow
    # stores and shows without weighing in the priority.
    modes = detector_modes({detector_key(PLATFORM, s.name) for i in fresh for s in i.signals})
    # A held report carries no signal: it must not weigh in any priority (see intake_holds).
    queued = [i for i in fresh if not plan.held[i.external_id]]
    signals = [
        CaseSignal(
            case_id=cases[subject_of[item.external_id]].pk,
            report_id=stored[item.external_id].pk,
            kind=sig.kind,
            name=sig.name,
            label=sig.label,
            score=sig.score,
            matched_hash=sig.matched_hash,
            detector=detector_key(PLATFORM, sig.name),
            mode=modes[detector_key(PLATFORM, sig.name)],
        )
        for item in queued
        for sig in item.signals
        if modes[detector_key(PLATFORM, sig.name)] != OFF
    ]
    if signals:
        CaseSignal.objects.bulk_create(signals)
        signalled = sorted({s.case_id for s in signals})
        transaction.on_commit(
            lambda: events.signals_added.send(sender=CaseSignal, case_ids=signalled)
        )
    # Cases without a language take the first report's that has one.
    no_language = [c for c in cases.values() if not c.language]
    for case in no_language:
        case.language = next(
            (
                i.language or detected.get(i.external_id, "")
                for i in fresh
                if (i.language or detected.get(i.external_id))
                and subjects[(i.subject.type, i.subject.platform_id)].pk == case.subject_id
            ),
            "",
        )
    if any(c.language for c in no_language):
        Case.objects.bulk_update([c for c in no_language if c.language], ["language"])
    cases_refresh(case_ids=[pk for pk in locked_ids if pk not in cleared_ids])
    if any(i.subject.chat_kind in chat_kinds.ROLLUP_CHAT_KINDS for i in fresh):
        rollup.rollups_after_intake(case_ids=[pk for pk in locked_ids if pk not in cleared_ids])
    cases_count_held(case_ids=sorted(cleared_ids))
    if plan.on_cleared_case:
        # Their subject was decided already: its reporters are told that decision now.
        deliveries.deliveries_for_held_reports(
            report_ids=[stored[external_id].pk for external_id in plan.on_cleared_case]
        )

    for item in fresh:
        report = stored[item.external_id]
        result.report_ids[item.external_id] = report.pk
        if report.case_id is not None:
            result.case_ids[item.external_id] = report.case_id
        if plan.held[item.external_id]:
            result.held[item.external_id] = plan.held[item.external_id]
        result.created.append(item.external_id)
    # Reports that stopped being held go to the detectors with the new ones.
    new_ids = sorted({stored[item.external_id].pk for item in fresh} | set(unheld))
    transaction.on_commit(lambda: events.reports_received.send(sender=Report, report_ids=new_ids))
    audit.record(
        action="reports.received",
        target_type="moderation.case",
        data={
            "channel": channel,
            "created": len(result.created),
            "duplicates": len(result.duplicates),
            "cases": sorted(set(result.case_ids.values()))[:100],
        },
    )
    _record_holds(
        fresh, plan=plan, stored=stored, moves=moves, moved=len(unheld), attached=attached
    )
    return result


def _record_holds(
    fresh: list[ReportInput],
    *,
    plan: holds.HoldPlan,
    stored: dict[str, Report],
    moves: dict[int, tuple[holds.ClearedCase, int]],
    moved: int,
    attached: int,
) -> None:
    """One `reports.held` event per batch that held reports, one `reports.unheld` per reopening."""
    per_case: dict[str, dict[str, int]] = {}
    for item in fresh:
        reason = plan.held[item.external_id]
        if reason:
            key = str(stored[item.external_id].case_id or "none")
            per_case.setdefault(key, {}).setdefault(reason, 0)
            per_case[key][reason] += 1
    if per_case:
        audit.record(
            action="reports.held",
            target_type="moderation.case",
            data={
                "held": sum(n for reasons in per_case.values() for n in reasons.values()),
                "cases": dict(sorted(per_case.items())[:100]),
            },
        )
    if moves or attached:
        audit.record(
            action="reports.unheld",
            target_type="moderation.case",
            data={
                "moved": moved,
                "attached_without_case": attached,
                "reopened": [
                    {
                        "from_case": cleared.case_id,
                        "to_case": new_case_id,
                        "why": plan.reopened[subject_id],
                    }
                    for subject_id, (cleared, new_case_id) in sorted(moves.items())
                ][:100],
            },
        )
