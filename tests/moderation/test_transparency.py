"""
The moderation transparency report: every figure recomputed independently from the records,
boundaries, empty periods, constant query count, versions, publication, pages and command.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from moderation import transparency
from moderation.demo_transparency import seed_transparency
from moderation.exceptions import NotAllowed
from moderation.models import Appeal, Case, Decision, Report, TransparencyReport
from moderation.services.transparency import (
    TransparencyRefused,
    report_generate,
    report_publish,
)
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db

H1 = transparency.Period(date(2026, 1, 1), date(2026, 6, 30))
START = datetime(2026, 1, 1, tzinfo=UTC)
LAST_SECOND = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
NEXT_FIRST = datetime(2026, 7, 1, tzinfo=UTC)
TODAY = date(2026, 12, 6)


def _case(at: datetime, **overrides) -> Case:
    case = make_case(**overrides)
    Report.objects.filter(case=case).update(received_at=at)
    return case


def _decide(case: Case, user, at: datetime, **fields) -> Decision:
    fields.setdefault("actions", ["remove_content"])
    fields.setdefault("ground", "terms")
    fields.setdefault("dsa_category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
    decision = Decision.objects.create(case=case, moderator=user, **fields)
    Decision.objects.filter(pk=decision.pk).update(created_at=at)
    decision.refresh_from_db()
    return decision


_appeal_ids = itertools.count(1)


def _appeal(decision: Decision, submitted: datetime, decided: datetime | None, status: str):
    return Appeal.objects.create(
        external_id=f"ap-{next(_appeal_ids)}",
        decision=decision,
        appellant_id="someone",
        reason="no",
        submitted_at=submitted,
        status=status,
        decided_at=decided,
    )


def _build(user, n: int = 1) -> None:
    """A mix of every kind of record, `n` times, plus records just outside the period."""
    for i in range(n):
        at = START + timedelta(days=10 + i, hours=i)
        user_case = _case(at, category="spam")
        d1 = _decide(user_case, user, at + timedelta(hours=3 + i))
        tf = _case(at, category="scams_fraud", source="trusted_flagger", flagger_name="SafeNet")
        _decide(
            tf, user, at + timedelta(hours=1), ground="illegal", actions=["label", "age_restrict"]
        )
        auto = _case(at, source="automated", reporter_id="")
        _decide(
            auto,
            user,
            at + timedelta(minutes=5),
            origin="automated",
            automated_detection=True,
            actions=["remove_content", "suspend_account"],
            ground="illegal",
        )
        own_terms = _case(at, source="automated", reporter_id="")
        _decide(own_terms, user, at + timedelta(hours=2), actions=["remove_from_search"])
        cleared = _case(at, category="spam")
        _decide(cleared, user, at + timedelta(hours=5), actions=["no_violation"], ground="")
        _appeal(d1, at + timedelta(days=1), at + timedelta(days=1, hours=7 + i), "upheld")
        _appeal(d1, at + timedelta(days=2), at + timedelta(days=3), "modified")
        _appeal(d1, at + timedelta(days=2), None, "pending") if i == 0 else None
    # Boundaries: the last second is in, the next period's first second is out.
    _case(LAST_SECOND, category="spam")
    late = _case(NEXT_FIRST, category="spam")
    _decide(late, user, NEXT_FIRST)


def _expected(period: transparency.Period) -> dict:
    """The figures, recomputed the plain way: Python over every object."""

    def inside(at):
        return at is not None and period.start_at <= at < period.end_before

    notice_sources = {"user", "trusted_flagger", "authority"}
    notices = [
        r for r in Report.objects.all() if inside(r.received_at) and r.source in notice_sources
    ]
    measures = [
        d
        for d in Decision.objects.select_related("case")
        if inside(d.created_at) and d.origin != "appeal" and d.actions != ["no_violation"]
    ]

    def on_notice(d):
        return d.case.has_user_notice or d.case.has_trusted_flagger or d.case.has_authority

    notice_measures = [d for d in measures if on_notice(d)]

    def took(d):
        first = min(
            r.received_at for r in Report.objects.filter(case=d.case) if r.source in notice_sources
        )
        return (d.created_at - first).total_seconds() / 3600

    def median(values):
        return round(statistics.median(values), 2) if values else None

    own = {
        g: [d for d in measures if not on_notice(d) and (d.ground == "illegal") == (g == "illegal")]
        for g in ("illegal", "terms")
    }
    decided = [a for a in Appeal.objects.all() if inside(a.decided_at) and a.status != "pending"]
    tf_measures = [d for d in notice_measures if d.case.has_trusted_flagger]
    return {
        "total": len(notices),
        "tf": sum(r.source == "trusted_flagger" for r in notices),
        "items": len({r.subject_id for r in notices}),
        "law": sum(d.ground == "illegal" for d in notice_measures),
        "terms": sum(d.ground != "illegal" for d in notice_measures),
        "law_tf": sum(d.ground == "illegal" for d in tf_measures),
        "median": median([took(d) for d in notice_measures]),
        "median_tf": median([took(d) for d in tf_measures]),
        "own_illegal": len(own["illegal"]),
        "own_terms": len(own["terms"]),
        "own_illegal_auto": sum(d.origin == "automated" for d in own["illegal"]),
        "removals_illegal": sum("remove_content" in d.actions for d in own["illegal"]),
        "suspensions_illegal": sum("suspend_account" in d.actions for d in own["illegal"]),
        "demoted_terms": sum("remove_from_search" in d.actions for d in own["terms"]),
        "solely_automated": sum(d.origin == "automated" for d in measures),
        "not_automated": sum(d.origin != "automated" for d in measures),
        "submitted": sum(inside(a.submitted_at) for a in Appeal.objects.all()),
        "upheld": sum(a.status == "upheld" for a in decided),
        "modified": sum(a.status == "modified" for a in decided),
        "reversed": sum(a.status == "reversed" for a in decided),
        "appeal_median": median(
            [(a.decided_at - a.submitted_at).total_seconds() / 3600 for a in decided]
        ),
    }


def _actual(f: dict) -> dict:
    n, o, a, m = f["notices"], f["own_initiative"], f["appeals"], f["automated_means"]
    return {
        "total": n["total"],
        "tf": n["trusted_flagger"],
        "items": n["items"],
        "law": n["actions_law"],
        "terms": n["actions_terms"],
        "law_tf": n["actions_law_trusted_flagger"],
        "median": n["median_hours_to_action"],
        "median_tf": n["median_hours_to_action_trusted_flagger"],
        "own_illegal": o["illegal"]["measures"],
        "own_terms": o["terms"]["measures"],
        "own_illegal_auto": o["illegal"]["solely_automated"],
        "removals_illegal": o["illegal"]["restrictions"]["Visibility restriction - Removal"],
        "suspensions_illegal": o["illegal"]["restrictions"]["Account restriction - Suspension"],
        "demoted_terms": o["terms"]["restrictions"]["Visibility restriction - Demoted"],
        "solely_automated": m["measures_solely_automated"],
        "not_automated": m["measures_not_automated"],
        "submitted": a["submitted"],
        "upheld": a["upheld"],
        "modified": a["partially_reversed"],
        "reversed": a["reversed"],
        "appeal_median": a["median_hours_to_decide"],
    }


def test_every_figure_matches_an_independent_recomputation(moderator):
    _build(moderator, n=4)  # even counts: medians are the mean of the two middle values
    figures = transparency.compute(H1)
    expected = _expected(H1)
    assert _actual(figures) == expected
    # Sanity on the fixture itself, so the comparison is not between two zeros.
    assert expected["total"] == 4 * 3 + 1  # user, tf, cleared per round + last second
    assert expected["tf"] == 4
    assert expected["own_illegal_auto"] == 4
    assert expected["median"] is not None
    assert expected["appeal_median"] is not None
    assert figures["period"] == "2026-01-01/2026-06-30"


def test_odd_count_median_is_the_middle_value(moderator):
    for hours in (1, 2, 10):
        case = _case(START, category="spam")
        _decide(case, moderator, START + timedelta(hours=hours))
    assert transparency.compute(H1)["notices"]["median_hours_to_action"] == 2.0


def test_boundaries_last_second_in_next_first_second_out(moderator):
    _case(LAST_SECOND, category="spam")
    _case(NEXT_FIRST, category="spam")
    _case(START - timedelta(seconds=1), category="spam")
    assert transparency.compute(H1)["notices"]["total"] == 1
    h2 = transparency.Period(date(2026, 7, 1), date(2026, 12, 31))
    assert transparency.compute(h2)["notices"]["total"] == 1


def test_empty_period_zeros_where_possible_blanks_where_not(db):
    f = transparency.compute(H1)
    assert f["notices"]["total"] == 0
    assert f["appeals"]["submitted"] == 0
    assert f["notices"]["median_hours_to_action"] is None  # nothing to take a median of
    restrictions = f["own_initiative"]["illegal"]["restrictions"]
    assert restrictions["Visibility restriction - Removal"] == 0
    assert restrictions["Monetary restriction - Suspension"] is None  # no monetisation
    assert f["automated_means"]["precision"] is None
    rows = list(csv.reader(io.StringIO(transparency.render_csv(f, "5_own_initiative_illegal"))))
    header, values = rows[0], rows[1]
    assert values[header.index("Monetary restriction - Suspension")] == ""
    assert values[header.index("Visibility restriction - Removal")] == "0"


def test_query_count_does_not_grow_with_records(moderator):
    _build(moderator, n=1)
    with CaptureQueriesContext(connection) as few:
        transparency.compute(H1)
    _build(moderator, n=5)
    with CaptureQueriesContext(connection) as many:
        transparency.compute(H1)
    assert len(few) == len(many) <= 12


def test_csv_has_the_template_labels_crlf_and_no_bom(moderator):
    _build(moderator)
    text = transparency.render_csv(transparency.compute(H1), "4_notices")
    assert not text.startswith("\ufeff")
    assert text.endswith("\r\n")
    header = next(csv.reader(io.StringIO(text)))
    assert "Number of notices received " in header  # trailing space, byte for byte
    assert "Number of actions taken on the basis of the law" in header
    appeals = transparency.render_csv(transparency.compute(H1), "7_appeals_and_recidivism")
    assert "Decisions partially reversed" in appeals
    assert "2026-01-01/2026-06-30" in appeals


def test_generate_regenerate_publish_and_correct(senior, moderator):
    case = _case(START, category="spam")
    report = report_generate(start=H1.start, end=H1.end, actor=senior, today=TODAY)
    assert report.version == 1
    assert report.figures["notices"]["total"] == 1
    _case(START, category="spam")
    again = report_generate(start=H1.start, end=H1.end, actor=senior, today=TODAY)
    assert again.pk == report.pk
    assert again.figures["notices"]["total"] == 2  # draft recomputed
    report_publish(report_id=report.pk, actor=senior)
    with pytest.raises(TransparencyRefused, match="already published"):
        report_publish(report_id=report.pk, actor=senior)
    with pytest.raises(TransparencyRefused, match="correction note"):
        report_generate(start=H1.start, end=H1.end, actor=senior, today=TODAY)
    _decide(case, moderator, START + timedelta(hours=1))
    v2 = report_generate(
        start=H1.start, end=H1.end, actor=senior, correction_note="late decision", today=TODAY
    )
    assert v2.version == 2
    assert v2.correction_note == "late decision"
    report.refresh_from_db()
    assert report.figures["notices"]["actions_terms"] == 0  # published version unchanged
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("id"))
    assert actions.count("transparency.generated") == 3
    assert actions.count("transparency.published") == 1


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 6, 30), date(2026, 1, 1), "ends before it starts"),
        (date(2026, 7, 1), date(2026, 12, 31), "must have ended"),
    ],
)
def test_generate_refuses_bad_periods(senior, start, end, message):
    with pytest.raises(TransparencyRefused, match=message):
        report_generate(start=start, end=end, actor=senior, today=TODAY)
    assert not TransparencyReport.objects.exists()


def test_moderators_may_not_generate(moderator):
    with pytest.raises(NotAllowed):
        report_generate(start=H1.start, end=H1.end, actor=moderator, today=TODAY)


# --- Pages ------------------------------------------------------------------------------


def test_page_generates_and_shows_form_errors(senior_client, senior):
    url = reverse("moderation:transparency")
    assert senior_client.get(url).status_code == 200
    bad = senior_client.post(url, {"start": "2026-06-30", "end": "2026-01-01"})
    assert bad.status_code == 200
    assert "ends before it starts" in bad.content.decode()
    junk = senior_client.post(url, {"start": "yesterday", "end": ""})
    assert junk.status_code == 200
    assert "Enter a valid date" in junk.content.decode()
    future = senior_client.post(url, {"start": "2026-01-01", "end": "2999-12-31"})
    assert "must have ended" in future.content.decode()
    assert not TransparencyReport.objects.exists()
    ok = senior_client.post(url, {"start": "2026-01-01", "end": "2026-06-30"})
    report = TransparencyReport.objects.get()
    assert ok.status_code == 302
    assert ok["Location"] == reverse("moderation:transparency_report", args=[report.pk])
    page = senior_client.get(ok["Location"])
    assert "Number of notices received" in page.content.decode()


def test_publish_needs_confirmation_then_is_public(senior_client, senior, client):
    _case(START, category="spam")
    report = report_generate(start=H1.start, end=H1.end, actor=senior, today=TODAY)
    public_url = reverse("transparency:moderation_report", args=[report.pk])
    assert client.get(public_url).status_code == 404  # drafts are not public
    url = reverse("moderation:transparency_publish", args=[report.pk])
    unconfirmed = senior_client.post(url, {})
    assert "Tick the box" in unconfirmed.content.decode()
    report.refresh_from_db()
    assert report.published_at is None
    assert senior_client.post(url, {"confirm": "yes"}).status_code == 302
    listing = client.get(reverse("transparency:moderation"))
    assert listing.status_code == 200
    assert "2026-01-01/2026-06-30" in listing.content.decode()
    page = client.get(public_url).content.decode()
    assert "Number of notices received" in page
    assert senior.username not in page
    csv_url = reverse("transparency:moderation_csv", args=[report.pk, "4_notices"])
    body = client.get(csv_url).content.decode()
    assert body.startswith("Service,Reporting period,Category")
    assert client.get(csv_url.replace("4_notices", "nope")).status_code == 404
    data = json.loads(client.get(reverse("transparency:moderation_json", args=[report.pk])).content)
    assert data["notices"]["total"] == 1
    assert data["version"] == 1


def test_staff_pages_refuse_moderators_and_anonymous(moderator_client, client, senior):
    report = report_generate(start=H1.start, end=H1.end, actor=senior, today=TODAY)
    for name, args in [
        ("moderation:transparency", []),
        ("moderation:transparency_report", [report.pk]),
        ("moderation:transparency_json", [report.pk]),
    ]:
        assert moderator_client.get(reverse(name, args=args)).status_code == 403
        assert client.get(reverse(name, args=args)).status_code == 302  # to the login


def test_public_list_query_count_is_constant(senior, client, django_assert_num_queries):
    for year in (2023, 2024):
        r = report_generate(
            start=date(year, 1, 1), end=date(year, 6, 30), actor=senior, today=TODAY
        )
        report_publish(report_id=r.pk, actor=senior)
    url = reverse("transparency:moderation")
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    r = report_generate(start=date(2025, 1, 1), end=date(2025, 6, 30), actor=senior, today=TODAY)
    report_publish(report_id=r.pk, actor=senior)
    with django_assert_num_queries(len(two)):
        client.get(url)


def test_command_writes_csv_and_json(moderator, tmp_path):
    _build(moderator)
    call_command("moderation_transparency_report", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--format", "csv", "--output", str(tmp_path))  # fmt: skip
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 5
    assert files[0].endswith("4_notices.csv")
    call_command("moderation_transparency_report", "--from", "2026-01-01", "--to", "2026-06-30",
                 "--format", "json", "--output", str(tmp_path))  # fmt: skip
    data = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert data == json.loads(transparency.render_json(transparency.compute(H1)))
    with pytest.raises(CommandError, match="ends before"):
        call_command("moderation_transparency_report", "--from", "2026-06-30", "--to", "2026-01-01",
                     "--output", str(tmp_path))  # fmt: skip
    with pytest.raises(CommandError, match="Not a date"):
        call_command("moderation_transparency_report", "--from", "junk", "--output", str(tmp_path))


def test_demo_publishes_a_period_and_leaves_a_draft(make_user):
    make_user(Role.SENIOR_MODERATOR, username="senior")  # the demo's senior

    _case(timezone.now() - timedelta(days=1), category="spam")
    assert seed_transparency() == "published current period as demo"
    published, draft = TransparencyReport.objects.order_by("version")
    assert published.published_at is not None
    assert "demo" in published.correction_note
    assert draft.published_at is None
    assert draft.version == 2
    assert seed_transparency() == "already seeded"
    assert TransparencyReport.objects.count() == 2


def test_demo_publishes_the_previous_half_year_when_covered(make_user):
    make_user(Role.SENIOR_MODERATOR, username="senior")  # the demo's senior

    previous = transparency.half_year_of(
        transparency.half_year_of(timezone.now().date()).start - timedelta(days=1)
    )
    _case(previous.start_at + timedelta(days=3), category="spam")
    assert seed_transparency() == "published previous half-year"
    report = TransparencyReport.objects.get(published_at__isnull=False)
    assert (report.period_start, report.figures["notices"]["total"]) == (previous.start, 1)


def test_moderator_cannot_publish_by_post(moderator_client, senior):
    report = report_generate(start=H1.start, end=H1.end, actor=senior, today=TODAY)
    url = reverse("moderation:transparency_publish", args=[report.pk])
    assert moderator_client.post(url, {"confirm": "yes"}).status_code == 403
    report.refresh_from_db()
    assert report.published_at is None
    assert not AuditEvent.objects.filter(action="transparency.published").exists()
