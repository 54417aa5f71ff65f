"""
The slow paths of issue 18, pinned: query counts on any database, query plans on PostgreSQL.

The plan tests bulk-create a few thousand rows and ANALYZE them, enough that the planner
prefers a sequential scan (or a sort of every row) where no index serves the query; they
never switch the planner's choices off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, reset_queries, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from moderation.admin import ADMIN_MAX_PAGES
from moderation.models import Case, Category, PlatformAccount, Report, Reporter, Subject
from moderation.selectors import cases as case_selectors
from moderation.selectors.queue import QueueFilters, queue_counts, queue_page
from moderation.services import priority
from moderation.services.intake import reports_ingest
from moderation.services.priority import REFRESHED_FIELDS, cases_refresh
from tests.moderation.factories import make_case, report_input
from tests.utils import requires_postgres

pytestmark = pytest.mark.django_db

QUEUE = reverse("moderation:home")


# --- Helpers ------------------------------------------------------------------------------------


def _capturing() -> CaptureQueriesContext:
    # The query log is a deque of 9,000 at most: once full, a capture would see nothing.
    reset_queries()
    return CaptureQueriesContext(connection)


def _captured(run: Callable[[], Any]) -> list[str]:
    with _capturing() as ctx:
        run()
    return [q["sql"] for q in ctx.captured_queries]


def _plan(sql: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE) of a captured query: its root plan node."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        found = cursor.fetchone()[0]
    return (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _scans(node: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(node type, relation, index) of every scan in the plan."""
    return [
        (n["Node Type"], n.get("Relation Name", ""), n.get("Index Name", ""))
        for n in _nodes(node)
        if "Relation Name" in n or "Index Name" in n
    ]


def _no_seq_scan(node: dict[str, Any], *tables: str) -> None:
    seq = [s for s in _scans(node) if s[0] == "Seq Scan" and s[1] in tables]
    assert not seq, _scans(node)


def _analyze(*models: Any) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def _bulk_cases(
    n: int, *, author: PlatformAccount | None = None, prefix: str = "bulk", **fields: Any
) -> list[Case]:
    """`n` active cases, each about its own subject (by `author`, or one author per subject)."""
    spam = Category.objects.get(code="spam")
    authors = (
        [author] * n
        if author
        else PlatformAccount.objects.bulk_create(
            PlatformAccount(platform_id=f"{prefix}-acct-{i}") for i in range(n)
        )
    )
    subjects = Subject.objects.bulk_create(
        Subject(type="message", platform_id=f"{prefix}-{i}", author=authors[i]) for i in range(n)
    )
    now = timezone.now()
    defaults: dict[str, Any] = {"category": spam, "deadline_at": now + timedelta(hours=24)}
    defaults.update(fields)
    return Case.objects.bulk_create(
        Case(subject=s, subject_type=s.type, priority=(i * 37) % 900, **defaults)
        for i, s in enumerate(subjects)
    )


# --- 1. Single-report intake ----------------------------------------------------------------------


def _subject_lookup(queries: list[str]) -> str:
    found = [q for q in queries if q.startswith('SELECT "moderation_subject"."id"')]
    assert len(found) == 1, queries
    return found[0]


def test_intake_reads_subjects_by_type_and_platform_id():
    item = report_input(subject__type="channel", subject__platform_id="chan-1")
    lookup = _subject_lookup(_captured(lambda: reports_ingest(items=[item])))

    # Both columns of the unique index (type, platform_id), so the index serves it.
    where = lookup.split("WHERE", 1)[1]
    assert '"moderation_subject"."type"' in where, lookup
    assert '"moderation_subject"."platform_id"' in where, lookup


def test_intake_tells_apart_subjects_of_two_types_with_one_platform_id():
    message = report_input(subject__type="message", subject__platform_id="42")
    account = report_input(subject__type="account", subject__platform_id="42")
    result = reports_ingest(items=[message, account])

    ids = {result.case_ids[message.external_id], result.case_ids[account.external_id]}
    assert len(ids) == 2
    assert {c.subject.type for c in Case.objects.filter(pk__in=ids)} == {"message", "account"}


@requires_postgres
def test_intake_subject_lookup_is_an_index_scan_on_a_large_table():
    _bulk_cases(4000, prefix="big")
    _analyze(Subject, Case, PlatformAccount)
    items = [
        report_input(subject__type="message", subject__platform_id="big-17"),
        report_input(subject__type="account", subject__platform_id="big-17"),
    ]
    plan = _plan(_subject_lookup(_captured(lambda: reports_ingest(items=items))))

    _no_seq_scan(plan, "moderation_subject")
    # The index is searched on both its columns, not read whole with a filter.
    conditions = [
        n.get("Index Cond", "")
        for n in _nodes(plan)
        if n.get("Index Name") == "subject_unique_per_type"
    ]
    assert any("type" in c and "platform_id" in c for c in conditions), _scans(plan)


# The queries of one report. A new subject: lock, duplicates, categories, account (insert,
# read), reporter (insert, read), subject (insert, read), active case, case insert and
# re-read, lock, report insert and re-read, the 9 of cases_refresh, the audit event, and the
# transaction's savepoint pair. A subject with an open case saves the case insert and
# re-read. The advisory lock is PostgreSQL's only.
def _single_report_queries(known_subject: bool) -> int:
    base = 26 if connection.vendor == "postgresql" else 25
    return base - (2 if known_subject else 0)


def test_single_report_intake_query_count_is_pinned(django_assert_num_queries):
    reports_ingest(items=[report_input()])  # categories and the like exist already
    with django_assert_num_queries(_single_report_queries(known_subject=False)):
        reports_ingest(items=[report_input(subject__platform_id="pinned")])
    with django_assert_num_queries(_single_report_queries(known_subject=True)):
        reports_ingest(items=[report_input(subject__platform_id="pinned")])


# --- 2. Batched intake: the refresh's write ------------------------------------------------------


def _cases_with_reports(n: int) -> list[int]:
    cases = _bulk_cases(n, prefix=f"refresh{n}")
    spam = Category.objects.get(code="spam")
    now = timezone.now()
    Report.objects.bulk_create(
        Report(
            external_id=f"refresh{n}-{c.pk}",
            case=c,
            subject_id=c.subject_id,
            category=spam,
            source="trusted_flagger" if c.pk % 3 == 0 else "user",
            reported_at=now,
        )
        for c in cases
    )
    return [c.pk for c in cases]


def test_cases_refresh_costs_the_same_queries_for_5_and_500_cases():
    small, large = _cases_with_reports(5), _cases_with_reports(500)
    few = _captured(lambda: cases_refresh(case_ids=small))
    many = _captured(lambda: cases_refresh(case_ids=large))

    assert len(many) == len(few)
    writes = [q for q in many if q.startswith("UPDATE")]
    assert len(writes) == 1
    if connection.vendor == "postgresql":
        # One statement over one JSON document, not a CASE WHEN per field per row.
        assert "CASE WHEN" not in writes[0]
        assert "FROM json_to_recordset(" in writes[0]
    refreshed = Case.objects.filter(pk__in=large)
    assert {c.report_count for c in refreshed} == {1}
    assert {c.has_trusted_flagger for c in refreshed} == {True, False}
    assert all(c.priority_explanation["components"]["severity"] == 100 for c in refreshed)


def test_cases_refresh_writes_what_bulk_update_writes():
    ids = _cases_with_reports(40)
    now = timezone.now()

    def snapshot() -> dict[int, dict[str, Any]]:
        return {
            c.pk: model_to_dict(c) | {"updated_at": c.updated_at}
            for c in Case.objects.filter(pk__in=ids)
        }

    with transaction.atomic():
        cases_refresh(case_ids=ids, now=now)
        written = snapshot()
        transaction.set_rollback(True)
    before = snapshot()
    original = priority._cases_write
    try:
        priority._cases_write = lambda cases: Case.objects.bulk_update(
            cases, list(REFRESHED_FIELDS)
        )
        cases_refresh(case_ids=ids, now=now)
    finally:
        priority._cases_write = original

    assert written != before  # the refresh changed something
    assert written == snapshot()


# --- 3. The case page of a prolific author ------------------------------------------------------


def _prolific_author_case(others: int) -> Case:
    author = PlatformAccount.objects.create(platform_id="prolific")
    _bulk_cases(others, author=author, prefix=f"prolific{others}")
    return make_case(subject__author_id="prolific", subject__chat_id="busy-chat")


def test_case_page_query_count_does_not_grow_with_the_authors_history(moderator_client):
    few = _prolific_author_case(2)
    url = reverse("moderation:case", args=[few.pk])
    moderator_client.get(url)
    small = _captured(lambda: moderator_client.get(url))

    _bulk_cases(
        60,
        author=PlatformAccount.objects.get(platform_id="prolific"),
        prefix="more",
    )
    with _capturing() as large:
        response = moderator_client.get(url)

    assert response.status_code == 200
    ctx = response.context["ctx"]
    assert len(ctx.history.previous_cases) == case_selectors.HISTORY_LIMIT
    assert len(ctx.related_open) == case_selectors.HISTORY_LIMIT
    assert len(large.captured_queries) == len(small)


def test_related_open_cases_merge_the_author_and_the_chat_most_urgent_first():
    case = _prolific_author_case(3)
    stranger = make_case(subject__chat_id="busy-chat")
    Case.objects.filter(pk=stranger.pk).update(priority=10_000)
    Case.objects.filter(subject__author__platform_id="prolific").exclude(pk=case.pk).update(
        priority=5
    )

    related = case_selectors.related_open_cases(case=case_selectors.case_for_page(case_id=case.pk))

    assert related[0].pk == stranger.pk
    assert len(related) == 4
    assert case.pk not in {c.pk for c in related}
    assert [c.priority for c in related] == sorted((c.priority for c in related), reverse=True)


@requires_postgres
def test_case_page_author_queries_are_index_served_and_bounded():
    case = _prolific_author_case(3000)
    _bulk_cases(3000, prefix="crowd")  # other authors
    _analyze(Case, Subject, PlatformAccount)
    case = case_selectors.case_for_page(case_id=case.pk)

    for run in (
        lambda: case_selectors.author_history(case=case),
        lambda: case_selectors.related_open_cases(case=case),
    ):
        for sql in _captured(run):
            if "moderation_case" not in sql.split("WHERE")[0]:
                continue  # restrictions, strikes, decisions
            plan = _plan(sql)
            _no_seq_scan(plan, "moderation_case", "moderation_subject")
            # Read down an index and stopped early: no node handles the author's 3000 cases.
            widest = max(n["Actual Rows"] for n in _nodes(plan))
            assert widest <= 500, (widest, sql)


# --- 4. The admin changelists ---------------------------------------------------------------------


def _unbounded_counts(queries: list[str]) -> list[str]:
    return [q for q in queries if re.search(r"COUNT\(", q) and "LIMIT" not in q]


@pytest.fixture
def superuser(make_user):
    from accounts.roles import Role

    user = make_user(Role.ADMINISTRATOR, username="root")
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.mark.parametrize(
    ("model", "filtered_by"),
    [
        ("case", {"status__exact": "open"}),
        ("report", {"source__exact": "user"}),
        ("subject", {"type__exact": "message"}),
        ("decision", {"status__exact": "final"}),
        ("statement", {"q": "x"}),
    ],
)
def test_admin_changelists_never_count_the_whole_table(superuser, client_for, model, filtered_by):
    make_case()
    client = client_for(superuser)
    url = reverse(f"admin:moderation_{model}_changelist")
    client.get(url)

    responses = []
    first = _captured(lambda: responses.append(client.get(url)))
    filtered = _captured(lambda: responses.append(client.get(url, filtered_by)))

    assert [r.status_code for r in responses] == [200, 200]
    shown = responses[0].context["cl"].result_count
    assert shown >= (1 if model in ("case", "report", "subject") else 0)

    assert not _unbounded_counts(first), first
    assert not _unbounded_counts(filtered), filtered


def test_admin_case_pages_stop_at_the_last_reachable_page(superuser, client_for):
    _bulk_cases(60, prefix="admin")
    client = client_for(superuser)
    url = reverse("admin:moderation_case_changelist")
    from moderation.admin import CaseAdmin

    original = CaseAdmin.list_per_page
    CaseAdmin.list_per_page = 2
    try:
        client.get(url)
        first = _captured(lambda: client.get(url))
        with _capturing() as deep_queries:
            deep = client.get(url, {"p": ADMIN_MAX_PAGES})
        deep_count = len(deep_queries.captured_queries)  # before the next request clears them
        beyond = client.get(url, {"p": ADMIN_MAX_PAGES + 1})
    finally:
        CaseAdmin.list_per_page = original

    assert deep.status_code == 200
    assert deep_count == len(first)
    assert beyond.status_code == 302  # the admin's "invalid page" redirect
    assert str(ADMIN_MAX_PAGES) in deep.content.decode()
    # Newest first.
    assert [c.pk for c in deep.context["cl"].result_list] == sorted(
        (c.pk for c in deep.context["cl"].result_list), reverse=True
    )


# --- 5. A rare filter combination -----------------------------------------------------------------


@requires_postgres
def test_rare_filter_combination_and_its_count_are_served_by_the_filters_index():
    rare = Category.objects.get(code="terrorism")
    _bulk_cases(4000, prefix="common", has_user_notice=True)
    _bulk_cases(5, prefix="rare", category=rare, has_authority=True)
    Case.objects.filter(subject__platform_id__startswith="rare").update(subject_type="bot")
    _analyze(Case, Subject)
    filters = QueueFilters(categories=(rare.pk,), subject_types=("bot",), sources=("authority",))

    assert len(queue_page(filters=filters).cases) == 5
    page = _captured(lambda: queue_page(filters=filters))
    [counts] = _captured(lambda: queue_counts(filters=filters))  # both counts, one statement
    for sql in [*page, counts]:
        _no_seq_scan(_plan(sql), "moderation_case")
    # The first count (the matching cases) is the statement's first subquery.
    matching = next(
        n for n in _nodes(_plan(counts)) if n.get("Subplan Name", "").startswith("InitPlan 1")
    )
    for plan in (_plan(page[0]), matching):
        scans = _scans(plan)
        assert any(s[2] == "case_queue_filters" for s in scans), scans
    assert queue_counts(filters=filters)["matching"] == 5


# --- 6. The queue page ---------------------------------------------------------------------------


def test_queue_page_query_count_is_pinned_and_rows_skip_the_subject(
    moderator_client, django_assert_num_queries
):
    for _ in range(30):
        make_case()
    moderator_client.get(QUEUE)
    # Session, user, two permission reads, the routing profile, the page, the two capped
    # counts (one statement), the categories of the filter form.
    with django_assert_num_queries(8) as ctx:
        response = moderator_client.get(QUEUE)

    page_sql = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]]
    rows = [q for q in page_sql if '"moderation_case"."priority" DESC' in q]
    assert rows, page_sql
    assert "moderation_subject" not in rows[0]
    assert "moderation_platformaccount" not in rows[0]
    assert "priority_explanation" not in rows[0]
    assert len(response.context["page"].cases) == 25


def test_queue_page_has_one_claim_form_and_a_claim_button_per_row(moderator_client):
    cases = [make_case() for _ in range(3)]
    html = moderator_client.get(QUEUE).content.decode()

    table = moderator_client.get(QUEUE, headers={"HX-Request": "true"}).content.decode()

    assert html.count('id="claim-form"') == 1
    assert table.count("csrfmiddlewaretoken") == 1  # one token for the table, not one per row
    for case in cases:
        claim = reverse("moderation:case_claim", args=[case.pk])
        assert f'form="claim-form" formaction="{claim}"' in html
        assert f'data-href="{reverse("moderation:case", args=[case.pk])}"' in html


def test_a_row_claim_button_claims_that_case(moderator, moderator_client):
    case = make_case()
    moderator_client.get(QUEUE)
    response = moderator_client.post(reverse("moderation:case_claim", args=[case.pk]))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLAIMED
    assert case.claimed_by_id == moderator.pk


# --- The deadline re-scoring (fixed before; its plan pinned here) --------------------------------


@requires_postgres
def test_deadline_rescoring_reads_due_cases_through_the_partial_index():
    now = timezone.now()
    _bulk_cases(4000, prefix="settled", score_changes_at=None)
    _bulk_cases(20, prefix="due", score_changes_at=now - timedelta(minutes=1))
    _analyze(Case)

    captured = _captured(lambda: priority._cases_rescore_due(now=now))
    reads = [q for q in captured if q.startswith('SELECT "moderation_case"."id" AS "pk" FROM')]
    assert reads, captured
    assert "score_changes_at" in reads[0], reads[0]

    plan = _plan(reads[0])
    _no_seq_scan(plan, "moderation_case")
    assert any(s[2] == "case_score_changes" for s in _scans(plan)), _scans(plan)


def test_cases_refresh_reads_reporters_by_key_not_by_a_join():
    """
    The reporters' track record is a probe by key per reporter, never a join: at 150k
    reporters the planner hash-joined the whole table (105 ms of a deadline run; the
    benchmark's plan check, bench/plans.py, found it). Too few rows here for the planner to
    choose that, so the query's shape is pinned instead.
    """
    cases = _bulk_cases(3, prefix="track")
    spam = Category.objects.get(code="spam")
    reporters = Reporter.objects.bulk_create(
        Reporter(platform_id=f"track-rep-{i}") for i in range(3)
    )
    Report.objects.bulk_create(
        Report(
            external_id=f"track-{c.pk}",
            case=c,
            subject_id=c.subject_id,
            category=spam,
            reporter=r,
            reported_at=timezone.now(),
        )
        for c, r in zip(cases, reporters, strict=True)
    )

    track = [
        q
        for q in _captured(lambda: cases_refresh(case_ids=[c.pk for c in cases]))
        if "reports_resolved" in q
    ]

    assert len(track) == 1
    assert 'JOIN "moderation_reporter"' not in track[0]
    probe = r'FROM "moderation_reporter" "?\w+"? WHERE "?\w+"?\."id" = '
    assert re.search(probe, track[0]), track[0]
