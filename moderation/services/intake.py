"""
Report intake: one report or a batch of up to 500, stored with a bounded number of queries.

Idempotent on external_id; reports about one subject join its open case; two batches
racing on a new subject still make one case (partial unique constraint + ON CONFLICT DO
NOTHING, then a re-read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

import audit
from moderation import chat_kinds, events
from moderation.detectors import OFF, detector_key, detector_modes
from moderation.dsa import content_language
from moderation.language import detect_language
from moderation.models import Case, CaseSignal, Category, Report
from moderation.services import deliveries, intake_sql, rollup
from moderation.services import intake_holds as holds
from moderation.services import intake_rows as rows
from moderation.services.intake_inputs import (
    CHAT_KINDS,
    CONTEXT_CHAT_KINDS,
    CONTEXT_MAX_PER_SIDE,
    CONTEXT_POSITIONS,
    CONTEXT_PROVENANCES,
    CONTEXT_TEXT_MAX,
    EVIDENCE_PROVENANCES,
    PLATFORM,
    POSTED_AT_MAX_SKEW,
    ContextMessageInput,
    IngestResult,
    ReportInput,
    SignalInput,
    SubjectInput,
    chat_owner_problem,
    context_refusal,
    language_refusal,
    posted_at_refusal,
    provenance_problem,
    subject_refusal,
)
from moderation.services.priority import cases_count_held, cases_refresh

# The input records and field rules live in intake_inputs; importers keep finding them here.
__all__ = [
    "CHAT_KINDS",
    "CONTEXT_CHAT_KINDS",
    "CONTEXT_MAX_PER_SIDE",
    "CONTEXT_POSITIONS",
    "CONTEXT_PROVENANCES",
    "CONTEXT_TEXT_MAX",
    "EVIDENCE_PROVENANCES",
    "PLATFORM",
    "POSTED_AT_MAX_SKEW",
    "ContextMessageInput",
    "IngestResult",
    "ReportInput",
    "SignalInput",
    "SubjectInput",
    "chat_owner_problem",
    "context_refusal",
    "language_refusal",
    "posted_at_refusal",
    "provenance_problem",
    "reports_ingest",
    "subject_refusal",
]


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


@transaction.atomic
def reports_ingest(*, items: Sequence[ReportInput], channel: str = "api") -> IngestResult:
    """Store new reports, attach them to cases and re-prioritise those cases."""
    result = IngestResult()
    unique = rows.unique_by_external_id(items)
    rows.batch_lock([i.external_id for i in unique], sorted({rows.subject_key(i) for i in unique}))
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

    accounts = rows.accounts_ensure(fresh)
    reporters = rows.reporters_ensure(fresh)
    subjects = rows.subjects_ensure(fresh, accounts)
    subject_of = {
        i.external_id: subjects[(i.subject.type, i.subject.platform_id)].pk for i in fresh
    }
    active = rows.active_cases(sorted(set(subject_of.values())))
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
    cases = rows.cases_open(fresh, subjects, categories, wanted=plan.needs_case, active=active)
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

    detected: dict[str, str] = {}
    for item in fresh:
        if not item.language and item.subject.text:
            # A guess outside the EU database's list is no language at all ("unknown").
            guess = detect_language(item.subject.text)
            if guess and content_language(guess):
                detected[item.external_id] = guess.lower()
    reporter_pk = {platform_id: r.pk for platform_id, r in reporters.items()}
    report_rows = []
    for item in fresh:
        s = item.subject
        report_rows.append(
            (
                item.external_id,
                case_id_of(item),
                plan.held[item.external_id],
                subject_of[item.external_id],
                categories[item.category].pk,
                item.source,
                reporter_pk.get(item.reporter_id),
                item.flagger_name,
                item.description,
                item.reported_at,
                item.language or detected.get(item.external_id, ""),
                bool(detected.get(item.external_id)),
                s.text,
                s.content_type,
                s.media_sha256,
                s.media_pdq,
                s.media_pdq_quality,
                s.media_url,
                s.evidence_provenance,
                s.deep_link,
                s.search_query,
                s.chat_id,
                s.posted_at,
                [message.as_json() for message in item.context],
            )
        )
    stored = _reports_store(report_rows)
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
    first_language: dict[int, str] = {}
    for i in fresh:
        language = i.language or detected.get(i.external_id, "")
        if language:
            first_language.setdefault(subject_of[i.external_id], language)
    for case in no_language:
        case.language = first_language.get(case.subject_id, "")
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


class StoredReport(NamedTuple):
    pk: int
    case_id: int | None


# The columns intake writes for a report, in the order of `reports_ingest`'s rows; the others
# take the model's defaults (received_at: now).
_REPORT_FIELDS = (
    "external_id",
    "case",
    "held",
    "subject",
    "category",
    "source",
    "reporter",
    "flagger_name",
    "description",
    "reported_at",
    "language",
    "language_detected",
    "content_text",
    "content_type",
    "media_sha256",
    "media_pdq",
    "media_pdq_quality",
    "media_url",
    "evidence_provenance",
    "deep_link",
    "search_query",
    "chat_id",
    "posted_at",
    "context",
)


def _reports_store(report_rows: list[tuple[Any, ...]]) -> dict[str, StoredReport]:
    """
    Write the new reports; each one's id and case by external_id.

    On PostgreSQL with COPY (ids from the sequence first): no external_id can be stored
    meanwhile, `batch_lock` holds them all. Elsewhere by the ORM, where the same external_id
    sent twice at once is stored once (ignore_conflicts) and the re-read finds it.
    """
    if intake_sql.available():
        ids = intake_sql.rows_copy(Report, _REPORT_FIELDS, report_rows)
        return {row[0]: StoredReport(pk, row[1]) for pk, row in zip(ids, report_rows, strict=True)}
    attname = {f.name: f.attname for f in Report._meta.concrete_fields}
    attnames = [attname[name] for name in _REPORT_FIELDS]
    Report.objects.bulk_create(
        [Report(**dict(zip(attnames, row, strict=True))) for row in report_rows],
        ignore_conflicts=True,
    )
    return {
        external_id: StoredReport(pk, case_id)
        for external_id, pk, case_id in Report.objects.filter(
            external_id__in=[row[0] for row in report_rows]
        ).values_list("external_id", "pk", "case_id")
    }


def _record_holds(
    fresh: list[ReportInput],
    *,
    plan: holds.HoldPlan,
    stored: dict[str, StoredReport],
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
