"""Private-group roll-up: message cases from one private group gather in a group-level case."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from moderation.dsa import validate_statement
from moderation.models import Case, Decision, Report, Reporter, Subject
from moderation.selectors.queue import QueueFilters, queue_page
from moderation.services import claims, decisions
from moderation.services.intake import reports_ingest
from moderation.services.priority import cases_lock_and_rescore, cases_refresh
from outbox.models import Delivery
from tests.moderation.factories import no_violation, report_input, violation
from tests.moderation.rollup_helpers import decide, group_case, message, send
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rollup_settings(settings):
    settings.ROLLUP_MIN_CASES = 3


# --- Rolling up ---------------------------------------------------------------------------------


def test_below_the_threshold_nothing_rolls_up():
    ids = send("chat-a", 2)

    assert group_case("chat-a") is None
    assert set(Case.objects.filter(pk__in=ids).values_list("rollup_parent", flat=True)) == {None}
    assert not AuditEvent.objects.filter(action="case.rolled_up").exists()


def test_at_the_threshold_one_group_case_holds_every_message_case():
    ids = send("chat-b", 2) + send("chat-b", 1)

    group = group_case("chat-b")
    assert group is not None
    assert sorted(group.rolled_up_cases.values_list("pk", flat=True)) == sorted(ids)
    subject = group.subject
    assert (subject.type, subject.chat_id, subject.chat_kind) == (
        "group",
        "chat-b",
        "private_group",
    )
    assert subject.author.platform_id == "owner-1"
    assert subject.chat_title == "Night market"
    event = AuditEvent.objects.get(action="case.rolled_up")
    assert event.data["group_case"] == group.pk
    assert sorted(event.data["cases"]) == sorted(ids)


def test_later_reports_attach_to_the_group_case():
    send("chat-c", 3)
    group = group_case("chat-c")
    assert group is not None

    later = send("chat-c", 1)

    assert Case.objects.get(pk=later[0]).rollup_parent_id == group.pk
    assert group_case("chat-c") == group
    assert Case.objects.filter(subject__type="group").count() == 1
    assert AuditEvent.objects.filter(action="case.rolled_up").count() == 2


def test_a_private_channel_rolls_up_too():
    send("chan-d", 3, kind="private_channel")

    group = group_case("chan-d")
    assert group is not None
    assert group.subject.chat_kind == "private_channel"


@pytest.mark.parametrize("kind", ["group", "channel", "private", "secret"])
def test_other_chat_kinds_never_roll_up(kind):
    send(f"pub-{kind}", 4, kind=kind)

    assert group_case(f"pub-{kind}") is None
    assert not Case.objects.filter(rollup_parent__isnull=False).exists()


def test_no_roll_up_while_the_owner_is_unknown():
    send("chat-e", 4, owner=None)

    assert group_case("chat-e") is None
    assert not Subject.objects.filter(type="group", platform_id="chat-e").exists()


def test_a_case_escalated_to_legal_stays_out(moderator, senior):
    first = send("chat-f", 1)[0]
    claims.case_claim(case_id=first, actor=moderator)
    claims.case_escalate(case_id=first, actor=moderator, to="legal", note="Evidence for a request")

    others = send("chat-f", 3)

    group = group_case("chat-f")
    assert group is not None
    assert sorted(group.rolled_up_cases.values_list("pk", flat=True)) == sorted(others)
    assert Case.objects.get(pk=first).rollup_parent_id is None


def test_a_rolled_up_case_escalated_to_legal_leaves_the_group(moderator):
    ids = send("chat-g", 3)
    claims.case_claim(case_id=ids[0], actor=moderator)

    claims.case_escalate(case_id=ids[0], actor=moderator, to="legal", note="For legal")

    child = Case.objects.get(pk=ids[0])
    assert child.rollup_parent_id is None
    assert child.status == Case.Status.LEGAL
    event = AuditEvent.objects.filter(action="case.escalated", target_id=str(child.pk)).get()
    assert event.data["left_group_case"] == group_case("chat-g").pk


def test_the_group_case_takes_the_most_severe_category_and_earliest_deadline():
    ids = send("chat-h", 2) + send("chat-h", 1, category="terrorism")

    group = group_case("chat-h")
    children = list(Case.objects.filter(pk__in=ids))
    assert group.category.code == "terrorism"
    assert group.deadline_at == min(c.deadline_at for c in children)
    assert group.language == "en"
    assert group.has_user_notice
    assert group.report_count == 3


def test_the_batch_query_count_does_not_grow_with_the_number_of_cases():
    def batch(chat: str, n: int) -> int:
        items = [message(chat) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            reports_ingest(items=items)
        return len(queries)

    small, large = batch("q-small", 3), batch("q-large", 30)
    assert group_case("q-small") is not None
    assert group_case("q-large").rolled_up_cases.count() == 30
    assert large == small

    # Attaching to an existing group case costs the same for 1 or 20 new messages.
    assert batch("q-small", 1) == batch("q-large", 20)


# --- Queue and priority -------------------------------------------------------------------------


def test_the_queue_hides_rolled_up_cases_and_shows_the_group_case_with_its_count(
    moderator_client,
):
    ids = send("chat-i", 3)
    outside = send("chat-other", 1)
    group = group_case("chat-i")

    rows = queue_page(filters=QueueFilters()).cases

    shown = {c.pk for c in rows}
    assert group.pk in shown
    assert outside[0] in shown
    assert not shown & set(ids)
    assert next(c for c in rows if c.pk == group.pk).rolled_up_count == 3
    body = moderator_client.get(reverse("moderation:home")).content.decode()
    assert "3 message cases" in body
    assert f'href="/moderation/cases/{ids[0]}/"' not in body


def test_claim_next_skips_rolled_up_cases(moderator, other_moderator):
    ids = send("chat-j", 3)
    group = group_case("chat-j")

    first = claims.case_claim_next(actor=moderator, filters=QueueFilters())
    second = claims.case_claim_next(actor=other_moderator, filters=QueueFilters())

    assert first.pk == group.pk
    assert second is None, "the rolled-up cases are only claimed with their group"
    assert Case.objects.filter(pk__in=ids, status=Case.Status.OPEN).count() == 3


def test_the_group_case_ranks_at_least_as_high_as_its_highest_child():
    send("chat-k", 2)
    urgent = send("chat-k", 1, category="terrorism", source="authority")[0]

    group = group_case("chat-k")
    top = Case.objects.get(pk=urgent).priority
    assert group.priority >= top
    explanation = group.priority_explanation
    assert explanation["rolled_up_cases"] == 3
    assert "rolled_up" in explanation["components"]
    assert sum(explanation["components"].values()) == group.priority


def test_the_group_priority_survives_re_scoring():
    ids = send("chat-l", 3, category="terrorism")
    group = group_case("chat-l")
    # The children gain points (their reporters' record, say); re-scoring the group follows.
    Case.objects.filter(pk=ids[0]).update(priority=5000)

    now = timezone.now()
    Case.objects.filter(pk=group.pk).update(score_changes_at=now)
    cases_lock_and_rescore(case_ids=[group.pk], now=now)

    group.refresh_from_db()
    assert group.priority == 5000
    assert group.priority_explanation["rolled_up_cases"] == 3
    cases_refresh(case_ids=[group.pk, *ids])
    group.refresh_from_db()
    assert group.priority >= max(Case.objects.filter(pk__in=ids).values_list("priority", flat=True))


# --- Deciding at the group level ----------------------------------------------------------------


def test_a_group_violation_resolves_every_child_with_it(senior, other_moderator):
    ids = send("chat-m", 3)
    group = group_case("chat-m")
    # One child is claimed by someone at that moment: their claim ends with the group decision.
    claims.case_claim(case_id=ids[1], actor=other_moderator)

    made = decide(group, senior, violation(actions=("remove_content", "terminate_account")))

    children = list(Case.objects.filter(pk__in=ids).order_by("pk"))
    assert {c.status for c in children} == {Case.Status.RESOLVED}
    assert all(c.resolved_at and c.claimed_by_id is None for c in children)
    assert not Decision.objects.filter(case_id__in=ids).exists()
    events = AuditEvent.objects.filter(action="case.resolved_with_group").order_by("id")
    assert sorted(int(e.target_id) for e in events) == ids
    assert {e.data["group_case"] for e in events} == {group.pk}
    assert {e.data["decision"] for e in events} == {made.pk}
    claimed = events.get(target_id=str(ids[1]))
    assert claimed.data["claim_ended"] == other_moderator.pk
    # The owner's account is the one acted on.
    assert made.restrictions.get().account.platform_id == "owner-1"
    group.refresh_from_db()
    assert group.status == Case.Status.RESOLVED


def test_the_childrens_reporters_get_their_outcome_and_track_record(senior):
    ids = send("chat-n", 3)
    group = group_case("chat-n")
    reporters = list(Reporter.objects.filter(reports__case_id__in=ids))

    made = decide(group, senior, violation())

    for reporter in reporters:
        reporter.refresh_from_db()
        assert (reporter.reports_resolved, reporter.reports_actioned) == (1, 1)
    notices = Delivery.objects.filter(
        kind="reporter_notice", cause_id=str(made.pk), topic_id__in=[str(i) for i in ids]
    )
    assert notices.count() == 3
    assert {d.payload["outcome"] for d in notices} == {"action_taken"}
    assert {d.payload["group_case"] for d in notices} == {group.pk}
    assert not Report.objects.filter(case_id__in=ids, outcome_notified_at__isnull=True).exists()


def test_no_violation_releases_the_children_to_the_queue(senior):
    ids = send("chat-o", 3)
    group = group_case("chat-o")

    decide(group, senior, no_violation())

    children = Case.objects.filter(pk__in=ids)
    assert {c.rollup_parent_id for c in children} == {None}
    assert {c.status for c in children} == {Case.Status.OPEN}
    event = AuditEvent.objects.get(action="case.rollup_released")
    assert sorted(event.data["cases"]) == sorted(ids)
    shown = {c.pk for c in queue_page(filters=QueueFilters()).cases}
    assert set(ids) <= shown
    # Released: the next report about the chat does not roll them into a new group case.
    send("chat-o", 1)
    assert group_case("chat-o") is None


def test_a_child_decided_on_its_own_keeps_its_decision(moderator, senior):
    ids = send("chat-p", 3)
    group = group_case("chat-p")
    own = decide(Case.objects.get(pk=ids[0]), moderator, no_violation())

    decide(group, senior, violation())

    assert Decision.objects.get(case_id=ids[0]) == own
    assert AuditEvent.objects.filter(action="case.resolved_with_group").count() == 2


def test_the_group_statement_cites_a_childs_report_and_validates(senior):
    ids = send("chat-q", 3, subject__text="Buy stolen cards")
    group = group_case("chat-q")
    assert not group.reports.exists()

    made = decide(group, senior, violation())

    payload = made.statement.payload
    assert validate_statement(payload) == []
    assert payload["source_type"] == "SOURCE_ARTICLE_16"
    assert payload["content_type"] == ["CONTENT_TYPE_TEXT"]
    newest = Report.objects.filter(case_id__in=ids).order_by("-id").first()
    assert payload["content_date"] == newest.posted_at.date().isoformat()


def test_a_decided_group_case_does_not_take_new_messages_and_a_new_one_opens(senior):
    send("chat-r", 3)
    decide(group_case("chat-r"), senior, violation())

    later = send("chat-r", 2)
    assert group_case("chat-r") is None
    later += send("chat-r", 1)

    fresh = group_case("chat-r")
    assert fresh is not None
    assert sorted(fresh.rolled_up_cases.values_list("pk", flat=True)) == sorted(later)


# --- Case pages ---------------------------------------------------------------------------------


def test_the_group_case_page_shows_its_messages_escaped_and_isolated(senior_client):
    send("chat-s", 2)
    send("chat-s", 1, subject__text="<script>x</script> evil\u202egnp.exe")
    group = group_case("chat-s")

    body = senior_client.get(reverse("moderation:case", args=[group.pk])).content.decode()

    assert "3 message cases rolled up" in body
    assert "<script>x</script>" not in body
    assert "<bdi>&lt;script&gt;x&lt;/script&gt; evil" in body
    assert body.count("data-rolled-up=") == 3


def test_the_group_panel_lists_50_with_and_n_more_in_constant_queries(senior_client):
    send("chat-t", 3)
    group = group_case("chat-t")
    url = reverse("moderation:case", args=[group.pk])
    with CaptureQueriesContext(connection) as few:
        senior_client.get(url)
    send("chat-t", 52)
    with CaptureQueriesContext(connection) as many:
        body = senior_client.get(url).content.decode()

    assert body.count("data-rolled-up=") == 50
    assert "and 5 more" in body
    assert len(many) == len(few)


def test_a_child_case_page_names_its_group_case(senior_client, senior):
    ids = send("chat-u", 3)
    group = group_case("chat-u")
    url = reverse("moderation:case", args=[ids[0]])

    body = senior_client.get(url).content.decode()
    assert (
        f'Rolled up into group case <a href="/moderation/cases/{group.pk}/">#{group.pk}</a>' in body
    )

    decide(group, senior, violation())
    body = senior_client.get(url).content.decode()
    assert (
        f'Resolved with group case <a href="/moderation/cases/{group.pk}/">#{group.pk}</a>' in body
    )


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_batches_for_one_chat_at_once_make_one_group_case():
    first = [message("race-chat") for _ in range(3)]
    second = [message("race-chat") for _ in range(3)]

    results = race(lambda: reports_ingest(items=first), lambda: reports_ingest(items=second))

    assert race_errors(results) == []
    groups = Case.objects.filter(subject__type="group", subject__platform_id="race-chat")
    assert groups.count() == 1
    assert groups.get().rolled_up_cases.count() == 6


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_group_decision_and_a_childs_own_decision_at_once(moderator, senior):
    ids = send("race-decide", 3)
    group = group_case("race-decide")
    claims.case_claim(case_id=group.pk, actor=senior)
    claims.case_claim(case_id=ids[0], actor=moderator)

    results = race(
        lambda: decisions.case_decide(case_id=group.pk, actor=senior, decision=violation()),
        lambda: decisions.case_decide(case_id=ids[0], actor=moderator, decision=no_violation()),
    )

    assert race_errors(results) == []
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"resolved"}
    # Either the child's own decision came first (then the group left it alone), or the group
    # resolved it first (then the child's decider found it resolved: refused, nothing written).
    own = Decision.objects.filter(case_id=ids[0]).count()
    with_group = AuditEvent.objects.filter(
        action="case.resolved_with_group", target_id=str(ids[0])
    ).count()
    assert own + with_group == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_intake_during_a_group_decision_does_not_deadlock(senior):
    ids = send("race-intake", 3)
    group = group_case("race-intake")
    claims.case_claim(case_id=group.pk, actor=senior)
    # A new report about a rolled-up message (intake locks its case, then rolls up) and a new
    # message, while the group is decided (which locks the group case, then its children).
    child = Case.objects.select_related("subject").get(pk=ids[2]).subject
    batch = [
        report_input(
            subject__platform_id=child.platform_id,
            subject__author_id=child.author.platform_id,
            subject__chat_id="race-intake",
            subject__chat_kind="private_group",
            subject__chat_owner_id="owner-1",
        ),
        message("race-intake"),
    ]

    results = race(
        lambda: decisions.case_decide(case_id=group.pk, actor=senior, decision=violation()),
        lambda: reports_ingest(items=batch),
    )

    assert race_errors(results) == []
    group.refresh_from_db()
    assert group.status == Case.Status.RESOLVED


# --- What reads decisions -----------------------------------------------------------------------


def test_transparency_figures_count_a_group_decision_once_timed_from_its_childrens_notices(
    senior,
):
    from datetime import timedelta as _td

    from moderation import transparency

    send("chat-v", 3)
    made = decide(group_case("chat-v"), senior, violation())
    day = made.created_at.date()

    figures = transparency.compute(transparency.Period(day - _td(days=1), day))

    assert figures["notices"]["total"] == 3
    assert figures["notices"]["actions_terms"] == 1, "one group decision, one measure"
    assert figures["notices"]["median_hours_to_action"] is not None


def test_reversing_the_group_decision_takes_back_the_childrens_reporters_track_record(
    senior, make_user
):
    from accounts.roles import Role
    from moderation.services.appeals import appeal_decide
    from tests.moderation.factories import submit_appeal

    ids = send("chat-appeal", 3)
    group = group_case("chat-appeal")
    reporters = list(Reporter.objects.filter(reports__case_id__in=ids))
    made = decide(group, senior, violation())
    appeal = submit_appeal(made)

    appeal_decide(
        appeal_id=appeal.pk,
        actor=make_user(Role.SENIOR_MODERATOR),
        outcome="reversed",
        note="The group was a support group quoting scams to warn about them.",
    )

    for reporter in reporters:
        reporter.refresh_from_db()
        assert (reporter.reports_resolved, reporter.reports_actioned) == (0, 0)
    # The message cases stay resolved: the appeal's outcome is the group's.
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"resolved"}


def test_the_childrens_evidence_follows_the_group_decisions_retention(senior):
    from datetime import timedelta as _td

    from moderation.services import retention

    ids = send("chat-retention", 3)
    made = decide(group_case("chat-retention"), senior, violation())
    days = retention.retention_days(made.case.category.code, "violation")

    retention.evidence_purge(now=timezone.now() + _td(days=days - 1))
    assert not Report.objects.filter(case_id__in=ids, evidence_purged_at__isnull=False).exists()

    retention.evidence_purge(now=timezone.now() + _td(days=days + 1))
    assert not Report.objects.filter(case_id__in=ids, evidence_purged_at__isnull=True).exists()
