"""
The retention purge: evidence of decided cases goes after its period (by category and
outcome), except under a legal hold, with an appeal pending, or never decided; a media file
goes only when no retained report still references it; one summary event per run.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.roles import Role
from audit.models import AuditEvent
from moderation import media_storage, tasks
from moderation.models import Appeal, Case, Decision, Media, Report
from moderation.services import claims, decisions, retention
from moderation.services.appeals import appeal_decide
from moderation.services.holds import evidence_hold_place, evidence_hold_release
from moderation.services.intake import ContextMessageInput, reports_ingest
from moderation.services.media import media_ingest
from tests.moderation.factories import (
    make_case,
    no_violation,
    report_input,
    submit_appeal,
    violation,
)
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


def later(days: float) -> Any:
    return timezone.now() + timedelta(days=days)


def thread() -> tuple[ContextMessageInput, ...]:
    posted = timezone.now() - timedelta(hours=3)
    return (
        ContextMessageInput(
            position="before", message_id="m1", author_id="a1", posted_at=posted, text="hi"
        ),
    )


def decided(moderator, decision=None, **overrides: Any) -> Case:
    """A case decided now (a violation unless told otherwise), with a thread and a reason."""
    overrides.setdefault("context", thread())
    overrides.setdefault("subject__posted_at", timezone.now() - timedelta(hours=2))
    case = make_case(**overrides)
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=decision or violation())
    case.refresh_from_db()
    return case


def purged(case: Case) -> bool:
    states = {r.evidence_purged_at is not None for r in Report.objects.filter(case=case)}
    assert len(states) == 1, "a case's reports are purged together here"
    return states.pop()


def picture(shade: int = 40) -> bytes:
    image = Image.new("RGB", (96, 96), (shade, 120, 200))
    ImageDraw.Draw(image).rectangle((20, 20, 70, 60), fill=(250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def summaries() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="evidence.purged").order_by("id"))


# --- when ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _short_appeal_window(settings):
    """The periods below are the configured ones: an appeal window shorter than all of them."""
    settings.APPEAL_WINDOW_DAYS = 30


def test_no_evidence_goes_before_the_appeal_window_closes(moderator, settings):
    settings.APPEAL_WINDOW_DAYS = 183  # DSA Art. 20: six months; spam "no violation" says 90
    case = decided(moderator, no_violation())

    retention.evidence_purge(now=later(182))
    assert not purged(case)

    retention.evidence_purge(now=later(184))
    assert purged(case)
    assert retention.retention_days("spam", "no_violation") == 183
    assert retention.retention_days("terrorism", "violation") == 730


@pytest.mark.parametrize(
    ("category", "decision", "days"),
    [
        ("spam", violation, 365),
        ("spam", no_violation, 90),
        ("terrorism", violation, 730),
        ("terrorism", no_violation, 180),
        ("child_safety", no_violation, 365),
    ],
)
def test_evidence_is_purged_once_its_category_and_outcomes_period_passed(
    moderator, category, decision, days
):
    case = decided(moderator, decision(), category=category)

    retention.evidence_purge(now=later(days - 1))
    assert not purged(case)

    summary = retention.evidence_purge(now=later(days + 1))
    assert purged(case)
    assert (summary.reports, summary.cases) == (1, 1)


def test_a_purged_report_keeps_ids_hashes_and_times_but_no_content(moderator):
    case = decided(
        moderator,
        subject__text="the offending text",
        subject__media_sha256="ab" * 32,
        subject__media_url="https://cdn.platform.example/m/1.jpg",
        subject__deep_link="tg://privatepost?channel=1&post=2",
        description="Reporter's words about @someone",
    )
    before = Report.objects.get(case=case)

    retention.evidence_purge(now=later(400))

    after = Report.objects.get(case=case)
    assert (after.content_text, after.context, after.description, after.media_url) == (
        "",
        [],
        "",
        "",
    )
    assert after.evidence_purged_at is not None
    kept = ("external_id", "subject_id", "category_id", "source", "reporter_id", "reported_at")
    kept += ("received_at", "language", "content_type", "media_sha256", "chat_id", "posted_at")
    kept += ("deep_link",)
    assert {f: getattr(after, f) for f in kept} == {f: getattr(before, f) for f in kept}


def two_categories(moderator) -> Case:
    """A spam case that also holds a child-safety report, decided as no violation."""
    case = make_case(category="spam", context=thread())
    item = report_input(
        category="child_safety",
        subject__platform_id=case.subject.platform_id,
        subject__author_id=case.subject.author.platform_id,
    )
    reports_ingest(items=[item])
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=no_violation())
    return case


def purged_by_category(case: Case) -> dict[str, bool]:
    rows = Report.objects.filter(case=case).values_list("category__code", "evidence_purged_at")
    return {code: when is not None for code, when in rows}


def test_a_case_led_by_a_longer_category_keeps_all_its_reports_that_long(moderator):
    case = two_categories(moderator)  # the most severe category leads the case

    retention.evidence_purge(now=later(91))

    assert Case.objects.get(pk=case.pk).category.code == "child_safety"
    assert purged_by_category(case) == {"spam": False, "child_safety": False}


def test_a_report_keeps_its_own_categorys_longer_period(moderator):
    case = two_categories(moderator)
    Case.objects.filter(pk=case.pk).update(
        category=Report.objects.get(case=case, category__code="spam").category
    )

    retention.evidence_purge(now=later(91))

    assert purged_by_category(case) == {"spam": True, "child_safety": False}


def test_an_undecided_case_is_never_purged(moderator):
    open_case = make_case(context=thread())
    legal = make_case(context=thread())
    Case.objects.filter(pk=legal.pk).update(status=Case.Status.LEGAL, escalation="legal")

    retention.evidence_purge(now=later(10_000))

    assert not purged(open_case)
    assert not purged(legal)


def test_a_reversed_decision_counts_as_no_violation_from_the_reversal(moderator, senior):
    case = decided(moderator)
    appeal = submit_appeal(Decision.objects.get(case=case))
    appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="reversed", note="Not spam.")
    Appeal.objects.filter(pk=appeal.pk).update(decided_at=later(30))

    retention.evidence_purge(now=later(100))
    assert not purged(case)  # 90 days after the reversal, not after the decision

    retention.evidence_purge(now=later(121))
    assert purged(case)


# --- exemptions ---------------------------------------------------------------------------------


def test_an_account_on_legal_hold_keeps_its_evidence_until_released(moderator):
    case = decided(moderator)
    author = case.subject.author
    evidence_hold_place(account=author, source=case, reason="Legal request", actor=moderator)

    summary = retention.evidence_purge(now=later(400))

    assert not purged(case)
    assert (summary.reports, summary.kept_on_hold) == (0, 1)

    evidence_hold_release(account=author, source=case, actor=moderator)
    retention.evidence_purge(now=later(400))
    assert purged(case)


def test_a_hold_on_someone_else_does_not_keep_the_evidence(moderator):
    case, other = decided(moderator), make_case()
    evidence_hold_place(account=other.subject.author, source=other, reason="r", actor=moderator)

    retention.evidence_purge(now=later(400))

    assert purged(case)


def test_a_pending_appeal_keeps_the_evidence_until_it_is_decided(moderator, senior):
    case = decided(moderator)
    appeal = submit_appeal(Decision.objects.get(case=case))

    summary = retention.evidence_purge(now=later(400))

    assert not purged(case)
    assert summary.kept_for_appeal == 1

    appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="upheld", note="Spam it is.")
    retention.evidence_purge(now=later(400))
    assert purged(case)


# --- media --------------------------------------------------------------------------------------


def test_media_files_go_only_when_no_retained_report_references_them(moderator):
    media = media_ingest(data=picture()).media
    spam = decided(moderator, no_violation(), subject__media_sha256=media.sha256)
    terror = decided(moderator, category="terrorism", subject__media_sha256=media.sha256)

    first = retention.evidence_purge(now=later(100))

    assert purged(spam)
    assert not purged(terror)
    media.refresh_from_db()
    assert media.purged_at is None
    assert media_storage.media_exists(media.sha256, "original")
    assert (first.media, first.media_kept) == (0, 1)

    second = retention.evidence_purge(now=later(731))

    assert purged(terror)
    media.refresh_from_db()
    assert media.purged_at is not None
    assert list(media_storage.media_files()) == []
    assert (second.media, second.files) == (1, 3)
    assert media.pdq  # the hashes stay for the detectors


def test_media_referenced_by_an_open_case_stays(moderator):
    media = media_ingest(data=picture(90)).media
    decided(moderator, subject__media_sha256=media.sha256)
    make_case(subject__media_sha256=media.sha256)

    retention.evidence_purge(now=later(400))

    assert Media.objects.get().purged_at is None
    assert media_storage.media_exists(media.sha256, "view")


def test_a_purged_picture_sent_again_is_stored_again(moderator):
    data = picture(150)
    media = media_ingest(data=data).media
    decided(moderator, subject__media_sha256=media.sha256)
    retention.evidence_purge(now=later(400))

    again = media_ingest(data=data)

    assert again.media.pk == media.pk
    assert again.media.purged_at is None
    assert media_storage.media_read(media.sha256, "original") == data


# --- runs ---------------------------------------------------------------------------------------


def test_each_run_records_one_summary_event_with_counts_only(moderator):
    decided(moderator, subject__text="secret words", description="more secret words")
    decided(moderator, subject__text="other words")

    retention.evidence_purge(now=later(400))
    retention.evidence_purge(now=later(400))

    first, second = summaries()
    assert first.data["reports"] == 2
    assert first.data["cases"] == 2
    assert second.data["reports"] == 0
    assert first.target_type == "moderation.report"
    assert first.actor is None
    assert all(isinstance(v, int) for v in first.data.values())
    assert "secret" not in str(first.data)


def test_a_second_run_changes_nothing(moderator):
    case = decided(moderator)
    retention.evidence_purge(now=later(400))
    when = Report.objects.get(case=case).evidence_purged_at

    summary = retention.evidence_purge(now=later(500))

    assert summary.reports == 0
    assert Report.objects.get(case=case).evidence_purged_at == when


def test_the_walk_goes_through_every_chunk(moderator, monkeypatch):
    monkeypatch.setattr(retention, "CHUNK", 2)
    cases = [decided(moderator) for _ in range(5)]

    summary = retention.evidence_purge(now=later(400))

    assert summary.reports == 5
    assert summary.chunks == 3
    assert all(purged(case) for case in cases)


def test_query_count_does_not_grow_with_the_cases_in_a_chunk(moderator):
    media = media_ingest(data=picture(10)).media
    for _ in range(2):
        decided(moderator, subject__media_sha256=media.sha256)
    with CaptureQueriesContext(connection) as small:
        retention.evidence_purge(now=later(400))

    other = media_ingest(data=picture(200)).media
    for n in range(10):
        decided(moderator, subject__media_sha256=other.sha256 if n % 2 else "")
    with CaptureQueriesContext(connection) as large:
        retention.evidence_purge(now=later(400))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_task_runs_the_purge(moderator):
    case = decided(moderator, decision=no_violation())
    Decision.objects.filter(case=case).update(created_at=timezone.now() - 100 * DAY)
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - 100 * DAY)

    result = tasks.purge_evidence.run()

    assert result["reports"] == 1
    assert purged(case)


# --- intake after a purge -----------------------------------------------------------------------


def test_intake_does_not_bring_purged_evidence_back(moderator):
    case = decided(moderator, subject__text="first time")
    report = Report.objects.get(case=case)
    retention.evidence_purge(now=later(400))
    item = report_input(
        external_id=report.external_id,
        subject__platform_id=case.subject.platform_id,
        subject__text="first time",
    )

    result = reports_ingest(items=[item])

    assert result.duplicates == [report.external_id]
    assert Report.objects.get(pk=report.pk).content_text == ""

    fresh = report_input(
        subject__platform_id=case.subject.platform_id,
        subject__author_id=case.subject.author.platform_id,
        subject__text="reported again",
    )
    new_case = reports_ingest(items=[fresh]).case_ids[fresh.external_id]
    assert new_case != case.pk
    assert Report.objects.get(external_id=fresh.external_id).content_text == "reported again"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_hold_placed_while_the_purge_runs_is_seen(make_user):
    moderator = make_user(Role.MODERATOR)
    case = decided(moderator)
    placed = threading.Event()

    def hold_then_commit() -> None:
        with transaction.atomic():
            evidence_hold_place(
                account=case.subject.author_id, source=case, reason="r", actor=moderator
            )
            placed.set()
            time.sleep(1)  # the purge meanwhile waits on the account's row lock

    def purge() -> retention.PurgeSummary:
        placed.wait(10)
        return retention.evidence_purge(now=later(400))

    results = race(hold_then_commit, purge)

    assert race_errors(results) == []
    assert not purged(case)
    assert results[1].kept_on_hold == 1


def test_files_of_no_media_item_are_removed_once_a_day_old(moderator):
    import os

    from moderation import media_storage

    kept = media_ingest(data=picture(30)).media
    orphan, fresh = "e" * 64, "f" * 64
    media_storage.media_write(orphan, "original", b"left by a crash before the commit")
    media_storage.media_write(fresh, "original", b"an upload about to commit")
    partial = media_storage.media_path(orphan, "view").with_suffix(".part")
    partial.write_bytes(b"half a file")
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    for path in (media_storage.media_path(orphan, "original"), partial):
        os.utime(path, (two_days_ago, two_days_ago))
    for variant in ("original", "view", "guard"):
        path = media_storage.media_path(kept.sha256, variant)
        os.utime(path, (two_days_ago, two_days_ago))

    summary = retention.evidence_purge()

    assert summary.orphan_files == 2
    assert not media_storage.media_exists(orphan, "original")
    assert not partial.exists()
    assert media_storage.media_exists(fresh, "original")  # too young: its row may be coming
    assert media_storage.media_read(kept.sha256, "original")  # an item in force keeps its files


# --- cost: a run reads what is due, never the purged history -----------------------------------


def test_a_case_whose_evidence_is_gone_is_marked_and_never_read_again(moderator):
    done = decided(moderator, no_violation())
    kept = decided(moderator, violation(), category="terrorism")  # 730 days

    retention.evidence_purge(now=later(91))

    done.refresh_from_db()
    kept.refresh_from_db()
    assert purged(done)
    assert done.evidence_purged_at is not None
    assert not purged(kept)
    assert kept.evidence_purged_at is None
    due = retention._candidate_cases(after=0, resolved_before=later(400))
    assert due == [kept.pk]


def test_a_held_report_landing_on_a_purged_case_brings_it_back(moderator):
    from moderation.services.priority import cases_count_held

    case = decided(moderator, no_violation())
    retention.evidence_purge(now=later(91))
    case.refresh_from_db()
    assert case.evidence_purged_at is not None

    cases_count_held(case_ids=[case.pk])

    case.refresh_from_db()
    assert case.evidence_purged_at is None
    assert retention._candidate_cases(after=0, resolved_before=later(91)) == [case.pk]


def test_the_migration_backfill_marks_only_fully_purged_cases(moderator):
    from importlib import import_module

    from django.apps import apps

    done = decided(moderator, no_violation())
    retention.evidence_purge(now=later(91))
    kept = decided(moderator, no_violation())
    Case.objects.update(evidence_purged_at=None)

    migration = import_module("moderation.migrations.0015_case_evidence_purged")
    migration.mark_cases_already_purged(apps, None)

    assert set(
        Case.objects.filter(evidence_purged_at__isnull=False).values_list("pk", flat=True)
    ) == {done.pk}
    # The case not yet due stays a candidate; the purged one is never read again.
    assert retention._candidate_cases(after=0, resolved_before=later(1)) == [kept.pk]


@requires_postgres
def test_the_purge_candidates_are_read_through_their_partial_index(moderator):
    from moderation.models import Category, PlatformAccount, Subject

    category = Category.objects.get(code="spam")
    author = PlatformAccount.objects.create(platform_id="purge-plan-author")
    long_ago = timezone.now() - timedelta(days=800)
    subjects = Subject.objects.bulk_create(
        Subject(type="message", platform_id=f"purge-plan-{i}", author=author) for i in range(4000)
    )
    Case.objects.bulk_create(
        Case(
            subject=s,
            subject_type="message",
            category=category,
            status=Case.Status.RESOLVED,
            resolved_at=long_ago,
            deadline_at=long_ago,
            evidence_purged_at=long_ago,
        )
        for s in subjects
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE moderation_case")
    query = Case.objects.filter(
        status=Case.Status.RESOLVED,
        evidence_purged_at__isnull=True,
        resolved_at__lte=timezone.now(),
        pk__gt=0,
    ).order_by("pk")[: retention.CHUNK]

    plan = query.explain()

    assert "case_purge_due" in plan, plan
    assert "Seq Scan on moderation_case" not in plan, plan
