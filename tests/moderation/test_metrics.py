"""Team metrics: every figure recomputed by hand from built data, the page, its CSV, who sees it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation import charts
from moderation.models import Appeal, Case, Category, Decision
from moderation.selectors import metrics
from moderation.services import claims, decisions
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TERROR = "Terrorism and violent extremism"


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def case_at(
    category: str,
    *,
    created: datetime,
    deadline: datetime,
    resolved: datetime | None = None,
    sources: tuple[str, ...] = ("user",),
) -> Case:
    case = make_case(category=category)
    Case.objects.filter(pk=case.pk).update(
        created_at=created,
        deadline_at=deadline,
        resolved_at=resolved,
        status=Case.Status.RESOLVED if resolved else Case.Status.OPEN,
        has_user_notice="user" in sources,
        has_trusted_flagger="trusted_flagger" in sources,
        has_authority="authority" in sources,
        has_automated="automated" in sources,
    )
    case.refresh_from_db()
    return case


def decision_at(case: Case, moderator, when: datetime, origin: str = "moderator") -> Decision:
    decision = Decision.objects.create(
        case=case, moderator=moderator, origin=origin, actions=["remove_content"]
    )
    Decision.objects.filter(pk=decision.pk).update(created_at=when)
    decision.refresh_from_db()
    return decision


def claim_at(case: Case, moderator, when: datetime) -> None:
    AuditEvent.objects.create(
        action="case.claimed",
        actor=moderator,
        target_type="moderation.case",
        target_id=str(case.pk),
        occurred_at=when,
    )


def reveal_at(moderator, when: datetime) -> None:
    AuditEvent.objects.create(action="media.revealed", actor=moderator, occurred_at=when)


_appeals = iter(range(1, 10_000))


def appeal_at(decision: Decision, status: str, decided: datetime | None) -> Appeal:
    return Appeal.objects.create(
        external_id=f"metrics-appeal-{next(_appeals)}",
        decision=decision,
        appellant_id="acct",
        reason="Please look again.",
        submitted_at=at(1),
        status=status,
        decided_at=decided,
    )


@pytest.fixture
def week(moderator, senior):
    """
    The period 2026-03-09 .. 2026-03-15 (now: the 15th, 12:00 UTC) and six cases:

    A spam/user: opened 8th 10:00, claimed 9th 10:00, decided (by hand) and resolved 10th
      00:00, deadline 9th 10:00 (late); B spam/user+trusted flagger: opened 9th 23:59:59,
      decided in bulk and resolved 11th 12:00 (no claim), deadline 12th; C terrorism/authority:
      opened 12th 06:00, claimed 12th 08:00, still open, deadline 13th 06:00 (overdue);
      D terrorism/automated: opened 14th 00:00, decided automatically and resolved 14th 01:00;
      E spam: February, before the period; F spam/user: opened 15th 11:00, still open.
    """
    a = case_at("spam", created=at(8, 10), deadline=at(9, 10), resolved=at(10))
    claim_at(a, moderator, at(9, 10))
    decision_a = decision_at(a, moderator, at(10))
    b = case_at(
        "spam",
        created=at(9, 23, 59, 59),
        deadline=at(12),
        resolved=at(11, 12),
        sources=("user", "trusted_flagger"),
    )
    decision_b = decision_at(b, senior, at(11, 12), origin="bulk")
    c = case_at("terrorism", created=at(12, 6), deadline=at(13, 6), sources=("authority",))
    claim_at(c, moderator, at(12, 8))
    d = case_at(
        "terrorism", created=at(14), deadline=at(15), resolved=at(14, 1), sources=("automated",)
    )
    decision_d = decision_at(d, senior, at(14, 1), origin="automated")
    e = case_at("spam", created=at(1, month=2), deadline=at(2, month=2), resolved=at(2, month=2))
    decision_e = decision_at(e, moderator, at(2, month=2))
    case_at("spam", created=at(15, 11), deadline=at(16))
    # An appeal decision on A, in the period: a decision, not A's first one.
    decision_at(a, senior, at(12), origin="appeal")
    appeal_at(decision_a, Appeal.Status.MODIFIED, at(12))
    appeal_at(decision_b, Appeal.Status.UPHELD, at(13))
    appeal_at(decision_e, Appeal.Status.REVERSED, at(5, month=2))  # before the period
    appeal_at(decision_d, Appeal.Status.PENDING, None)
    reveal_at(moderator, at(14))
    reveal_at(moderator, at(1))  # before the period
    reveal_at(senior, at(10))
    return metrics.period_of(7, now=NOW)


def test_queue_size_and_oldest_age_per_day_across_day_boundaries(week):
    days = metrics.queue_over_time(period=week)

    assert [(d.day.isoformat(), d.active, d.oldest_hours) for d in days] == [
        # A resolved exactly at midnight is still active at the end of the 9th.
        ("2026-03-09", 2, 38.0),
        ("2026-03-10", 1, 24.0),  # B, opened one second before midnight
        ("2026-03-11", 0, None),
        ("2026-03-12", 1, 18.0),
        ("2026-03-13", 1, 42.0),  # D opened at midnight: not yet at the end of the 13th
        ("2026-03-14", 1, 66.0),
        ("2026-03-15", 2, 78.0),  # today: at 12:00, C and F
    ]


def test_time_to_first_action_median_and_p90_per_category_and_source(week):
    found = metrics.time_to(metrics.case_timings(period=week), period=week, event="action")

    by_category = {d.label: (d.cases, d.median_hours, d.p90_hours) for d in found["category"]}
    by_source = {d.label: (d.cases, d.median_hours, d.p90_hours) for d in found["source"]}
    # spam: A claimed after 24 h, B decided (no claim) after 36 h; terrorism: C 2 h, D 1 h.
    assert by_category == {"Spam": (2, 30.0, 36.0), TERROR: (2, 1.5, 2.0)}
    assert by_source == {
        "user": (2, 30.0, 36.0),
        "trusted_flagger": (1, 36.0, 36.0),
        "authority": (1, 2.0, 2.0),
        "automated": (1, 1.0, 1.0),
    }


def test_time_to_decision_counts_first_decisions_in_the_period(week):
    found = metrics.time_to(metrics.case_timings(period=week), period=week, event="decision")

    by_category = {d.label: (d.cases, d.median_hours, d.p90_hours) for d in found["category"]}
    by_source = {d.label: (d.cases, d.median_hours, d.p90_hours) for d in found["source"]}
    # A 38 h (its appeal decision is not its first), B 36 h, D 1 h; C undecided, E before.
    assert by_category == {"Spam": (2, 37.0, 38.0), TERROR: (1, 1.0, 1.0)}
    assert by_source == {
        "user": (2, 37.0, 38.0),
        "trusted_flagger": (1, 36.0, 36.0),
        "automated": (1, 1.0, 1.0),
    }


@pytest.mark.parametrize(
    ("values", "expected_median", "expected_p90"),
    [
        ([5.0], 5.0, 5.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 5.5, 9.0),
        ([10.0, 1.0, 3.0, 2.0, 4.0, 6.0, 5.0, 9.0, 7.0, 8.0, 11.0], 6.0, 10.0),
        ([0.25, 100.0], 50.1, 100.0),
    ],
)
def test_median_and_nearest_rank_p90(values, expected_median, expected_p90):
    assert metrics.median(values) == expected_median
    assert metrics.p90(values) == expected_p90


def test_deadline_breaches_per_category(week):
    found = metrics.deadline_breaches(metrics.case_timings(period=week), period=week)

    assert [(b.category, b.decided, b.decided_late, b.active_overdue) for b in found] == [
        ("Spam", 2, 1, 0),  # A late, B on time; F's deadline is tomorrow
        (TERROR, 1, 0, 1),  # D on time; C still open past its deadline
    ]


def test_decisions_per_moderator_leave_out_automatic_actions(week, senior):
    senior.first_name, senior.last_name = "Sam", "Senior"
    senior.save()

    found = metrics.decisions_by_moderator(period=week)

    # senior1: B in bulk and A's appeal decision (D was automatic); mod: A (E is before).
    assert [(r.username, r.display, r.decisions) for r in found] == [
        ("senior1", "Sam Senior", 2),
        ("mod", "mod", 1),
    ]


def test_appeal_reversal_rate_over_appeals_decided_in_the_period(week):
    found = metrics.appeal_outcomes(period=week)

    assert (found.upheld, found.reversed, found.modified) == (1, 0, 1)
    assert (found.decided, found.changed, found.reversal_rate) == (2, 1, 50.0)


def test_exposure_totals_per_moderator(week):
    found = metrics.exposure_totals(period=week)

    # mod: one reveal in the period (one before); senior1: one reveal, D in a graphic category.
    assert [(r.username, r.reveals, r.graphic_decisions, r.total) for r in found] == [
        ("senior1", 1, 1, 2),
        ("mod", 1, 0, 1),
    ]


def test_an_empty_period_has_zeros_and_no_groups():
    found = metrics.team_metrics(period=metrics.period_of(7, now=NOW))

    assert [(d.active, d.oldest_hours) for d in found.queue] == [(0, None)] * 7
    assert found.first_action == {"category": [], "source": []}
    assert found.decision == {"category": [], "source": []}
    assert found.breaches == found.moderators == found.exposure == []
    assert (found.appeals.decided, found.appeals.reversal_rate) == (0, None)


def test_period_must_be_one_offered():
    with pytest.raises(ValueError, match="period must be one of"):
        metrics.period_of(12)


def test_real_claims_and_decisions_are_counted(moderator):
    # Through the services, so the selector reads the trail as the services write it.
    case = make_case(category="spam")
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    period = metrics.period_of(7)

    found = metrics.team_metrics(period=period)

    assert [(d.label, d.cases) for d in found.first_action["category"]] == [("Spam", 1)]
    assert [(d.label, d.cases) for d in found.decision["category"]] == [("Spam", 1)]
    assert [(r.username, r.decisions) for r in found.moderators] == [("mod", 1)]
    assert found.queue[-1].active == 0


# --- charts ---------------------------------------------------------------------------------

HOSTILE = '</text><script>alert("x")</script>&'


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.line_chart])
def test_charts_escape_every_label_and_are_labelled(draw):
    svg = draw(
        chart_id="c1",
        title=HOSTILE,
        desc=HOSTILE,
        labels=[HOSTILE, "plain"],
        series=[charts.Series(HOSTILE, [3, None]), charts.Series("second", [1, 2])],
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in svg
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">' in svg
    assert '<desc id="c1-desc">' in svg


def test_bar_lengths_follow_the_values():
    svg = charts.bar_chart(
        chart_id="c", title="t", desc="d", labels=["a", "b"], series=[charts.Series("n", [10, 5])]
    )
    # The axis tops at 10: the bar of 10 fills the plot, the bar of 5 half of it.
    full = charts.WIDTH - charts.BAR_LEFT - charts.RIGHT - 40
    assert f'width="{float(full)}"' in svg
    assert f'width="{full / 2}"' in svg


def test_a_long_period_labels_a_few_days_and_always_the_last():
    days = [f"2026-01-{n:02d}" for n in range(1, 31)] + [f"2026-02-{n:02d}" for n in range(1, 29)]
    svg = charts.line_chart(
        chart_id="q", title="t", desc="d", labels=days, series=[charts.Series("n", [1] * 58)]
    )

    shown = [day for day in days if f">{day}</text>" in svg]
    assert shown[0] == "2026-01-01"
    assert shown[-1] == "2026-02-28"
    assert len(shown) <= 9
    assert ">2026-02-27</text>" not in svg  # the 57th label, a day before the last


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1.0), (1, 1.0), (3, 5.0), (11, 20.0), (24, 25.0), (78, 100.0)]
)
def test_axis_top_is_a_round_number(value, top):
    assert charts.nice_max(value) == top


# --- the page -------------------------------------------------------------------------------

URL = "/moderation/metrics/"


@pytest.fixture
def senior_metrics_client(senior, client_for):
    return client_for(senior)


def test_url_names():
    assert reverse("moderation:metrics") == URL
    assert reverse("moderation:metrics_csv", args=["appeals"]) == URL + "appeals.csv"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.MODERATOR, 403),
        (Role.LEGAL_OFFICER, 403),
        (Role.LEGAL_APPROVER, 403),
        (Role.AUDITOR, 403),
        (Role.SENIOR_MODERATOR, 200),
        (Role.ADMINISTRATOR, 200),
    ],
)
def test_only_seniors_and_administrators_see_the_page_and_its_csv(
    role, status, make_user, client_for
):
    client = client_for(make_user(role))

    assert client.get(URL).status_code == status
    assert client.get(URL + "appeals.csv").status_code == status


def test_the_navigation_offers_the_page_to_whoever_may_open_it(make_user, client_for):
    for role, shown in [
        (Role.SENIOR_MODERATOR, True),
        (Role.ADMINISTRATOR, True),
        (Role.MODERATOR, False),
    ]:
        response = client_for(make_user(role)).get(reverse("dashboard"))
        names = {item["name"] for item in response.context["nav_items"]}
        assert ("moderation:metrics" in names) is shown, role


def test_page_shows_every_chart_with_its_table_and_csv_link(senior_metrics_client, moderator):
    case = make_case(category="spam")
    claims.case_claim(case_id=case.pk, actor=moderator)
    decided = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    appeal_at(decided, Appeal.Status.UPHELD, decided.created_at)
    reveal_at(moderator, decided.created_at)

    response = senior_metrics_client.get(URL, {"days": "7"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg id="chart-') == 10
    assert html.count('<table class="table metrics-table">') == 10
    assert 'href="/moderation/metrics/decisions-moderator.csv?days=7"' in html
    assert '<th scope="row" dir="auto">mod</th><td class="num">1</td>' in html
    assert "Reversal rate: 0.0 % of 1 decided appeals." in html
    assert "period-error" not in html


@pytest.mark.parametrize("bad", ["12", "abc", "-7", "7; drop table"])
def test_a_bad_period_falls_back_to_30_days_with_a_message(senior_metrics_client, bad):
    response = senior_metrics_client.get(URL, {"days": bad})

    assert response.status_code == 200
    assert response.context["period"].days == 30
    assert 'id="period-error"' in response.content.decode()


def test_an_empty_period_says_so(senior_metrics_client):
    response = senior_metrics_client.get(URL)

    assert response.status_code == 200
    assert response.context["period"].days == 30
    # The queue charts have a row per day; the others have nothing to draw.
    html = response.content.decode()
    assert html.count("Nothing in this period.") == 8
    assert "Reversal rate" not in html


def test_htmx_swaps_only_the_charts(senior_metrics_client):
    response = senior_metrics_client.get(
        URL, {"days": "90"}, headers={"HX-Request": "true", "HX-Target": "metrics-charts"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="metrics-charts">')
    assert "<h1>" not in html
    assert html.count('<svg id="chart-') == 2  # the queue's (every day has a point)


def test_hostile_category_name_is_shown_escaped(senior_metrics_client):
    Category.objects.filter(code="spam").update(name='<img src=x onerror="alert(1)">')
    case = make_case(category="spam")
    Case.objects.filter(pk=case.pk).update(deadline_at=case.created_at - timedelta(hours=1))

    html = senior_metrics_client.get(URL).content.decode()

    assert "<img src=x" not in html
    # In the chart's text, its tooltips and the table under it.
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 3


def test_page_query_count_does_not_grow_with_the_data(
    senior_metrics_client, moderator, other_moderator, django_assert_num_queries
):
    def add(n: int, who) -> None:
        for index in range(n):
            case = make_case(category="terrorism" if index % 2 else "spam")
            claims.case_claim(case_id=case.pk, actor=who)
            decided = decisions.case_decide(case_id=case.pk, actor=who, decision=violation())
            if index % 2:
                appeal_at(decided, Appeal.Status.REVERSED, decided.created_at)
            reveal_at(who, decided.created_at)

    add(1, moderator)
    with django_assert_num_queries(11) as small:
        senior_metrics_client.get(URL)
    add(4, moderator)
    add(3, other_moderator)
    with django_assert_num_queries(len(small.captured_queries)):
        response = senior_metrics_client.get(URL)
    assert '<th scope="row" dir="auto">mod2</th><td class="num">3</td>' in response.content.decode()


# --- CSV ------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="team-metrics-')
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_has_a_header_and_the_figures(senior_metrics_client, moderator):
    for _ in range(2):
        case = make_case(category="spam")
        claims.case_claim(case_id=case.pk, actor=moderator)
        decided = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    appeal_at(decided, Appeal.Status.REVERSED, decided.created_at)

    moderators = read_csv(senior_metrics_client.get(URL + "decisions-moderator.csv?days=7"))
    appeals = read_csv(senior_metrics_client.get(URL + "appeals.csv"))
    queue = read_csv(senior_metrics_client.get(URL + "queue-size.csv?days=90"))

    assert moderators == [["Moderator", "Decisions"], ["mod", "2"]]
    assert appeals == [
        ["Outcome", "Appeals", "Share (%)"],
        ["Decision upheld", "0", "0.0"],
        ["Decision reversed", "1", "100.0"],
        ["Decision modified", "0", "0.0"],
        ["Reversed or modified", "1", "100.0"],
    ]
    assert queue[0] == ["Day (UTC)", "Active cases"]
    assert len(queue) == 91
    assert queue[-1][1] == "0"


def test_csv_never_starts_a_cell_like_a_formula(senior_metrics_client):
    Category.objects.filter(code="spam").update(name='=HYPERLINK("http://evil")')
    case = make_case(category="spam")
    Case.objects.filter(pk=case.pk).update(deadline_at=case.created_at - timedelta(hours=1))

    rows = read_csv(senior_metrics_client.get(URL + "breaches.csv"))

    assert rows == [
        ["Category", "Decided", "Decided late", "Active past deadline"],
        ['\'=HYPERLINK("http://evil")', "0", "0", "1"],
    ]


def test_csv_refuses_a_bad_period_and_an_unknown_chart(senior_metrics_client):
    bad = senior_metrics_client.get(URL + "appeals.csv?days=365")

    assert bad.status_code == 400
    assert "Unknown period" in bad.content.decode()
    assert senior_metrics_client.get(URL + "nonsense.csv").status_code == 404


def test_post_is_refused(senior_metrics_client):
    assert senior_metrics_client.post(URL).status_code == 405
