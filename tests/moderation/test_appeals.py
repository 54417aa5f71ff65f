from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation import outbox_kinds
from moderation.dsa import validate_statement
from moderation.exceptions import (
    AppealAlreadyDecided,
    AppealRefused,
    InvalidDecision,
    NotAllowed,
    OwnDecisionAppealed,
)
from moderation.models import AccountRestriction, Appeal, Decision, Statement, Strike
from moderation.selectors import appeals as appeal_selectors
from moderation.services import claims, decisions
from moderation.services.appeals import appeal_decide
from outbox.models import Delivery
from tests.moderation.factories import make_case, no_violation, submit_appeal, violation
from tests.utils import race, race_errors, race_outcomes, requires_postgres

pytestmark = pytest.mark.django_db

SUSPEND = {"actions": ("remove_content", "suspend_account"), "suspend_days": 7}


def decide_case(moderator, decision=None, **case_overrides) -> Decision:
    case = make_case(**case_overrides)
    claims.case_claim(case_id=case.pk, actor=moderator)
    return decisions.case_decide(case_id=case.pk, actor=moderator, decision=decision or violation())


def appealed(moderator, decision=None, **case_overrides) -> Appeal:
    return submit_appeal(decide_case(moderator, decision, **case_overrides))


def written() -> tuple:
    """Everything an appeal decision could write, to show that a refusal wrote nothing."""
    return (
        tuple(Appeal.objects.order_by("id").values_list("status", flat=True)),
        tuple(Decision.objects.order_by("id").values_list("status", flat=True)),
        Delivery.objects.count(),
        AuditEvent.objects.exclude(action="authz.denied").count(),
        Strike.objects.filter(voided_at__isnull=False).count(),
        AccountRestriction.objects.filter(lifted_at__isnull=False).count(),
    )


@pytest.fixture
def senior2(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior2")


@pytest.fixture
def senior2_client(senior2, client_for):
    return client_for(senior2)


# --- Service: outcomes --------------------------------------------------------------------------


def test_appeal_decide_upheld_changes_only_the_appeal(moderator, senior):
    appeal = appealed(moderator)
    decision = appeal.decision

    appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="upheld", note="Clearly spam.")

    appeal.refresh_from_db()
    decision.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.outcome_note) == (
        "upheld",
        senior,
        "Clearly spam.",
    )
    assert appeal.decided_at is not None
    assert decision.status == Decision.Status.IN_FORCE
    assert Strike.objects.get(decision=decision).voided_at is None
    assert not Delivery.objects.filter(kind=outbox_kinds.REVERSAL).exists()
    outcome = Delivery.objects.get(kind=outbox_kinds.APPEAL_OUTCOME)
    assert outcome.idempotency_key == f"appeal-{appeal.pk}"
    assert outcome.payload["outcome"] == "upheld"
    assert outcome.payload["recipient"] == appeal.appellant_id
    assert outcome.payload["reasons"] == "Clearly spam."
    event = AuditEvent.objects.get(action="appeal.decided")
    assert (event.actor, event.target_type, event.target_id) == (
        senior,
        "moderation.appeal",
        str(appeal.pk),
    )
    assert event.data == {
        "outcome": "upheld",
        "case": decision.case_id,
        "decision": decision.pk,
        "new_decision": None,
    }


def test_appeal_decide_reversed_undoes_the_decision(moderator, senior):
    appeal = appealed(moderator, violation(**SUSPEND))
    decision = appeal.decision
    restriction = AccountRestriction.objects.get(decision=decision)
    assert restriction.kind == AccountRestriction.Kind.SUSPENDED

    appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="reversed", note="Context was missed.")

    appeal.refresh_from_db()
    decision.refresh_from_db()
    restriction.refresh_from_db()
    assert appeal.status == Appeal.Status.REVERSED
    assert decision.status == Decision.Status.REVERSED
    assert Strike.objects.get(decision=decision).voided_at is not None
    assert restriction.lifted_at is not None
    reversal = Delivery.objects.get(kind=outbox_kinds.REVERSAL)
    assert reversal.idempotency_key == f"reverse-{decision.uuid}"
    assert Delivery.objects.caused_by(decision).filter(pk=reversal.pk).exists()
    assert reversal.payload["undo"] == ["remove_content", "suspend_account"]
    assert reversal.payload["lift_restrictions"] == ["suspended"]
    assert reversal.payload["account"] == decision.case.subject.author.platform_id
    outcome = Delivery.objects.get(kind=outbox_kinds.APPEAL_OUTCOME)
    assert outcome.idempotency_key == f"appeal-{appeal.pk}"
    assert AuditEvent.objects.get(action="appeal.decided").data["outcome"] == "reversed"
    assert Decision.objects.count() == 1  # nothing replaces a reversed decision


def test_appeal_decide_modified_replaces_the_decision(moderator, senior):
    appeal = appealed(moderator, violation(**SUSPEND))
    old = appeal.decision
    new_input = violation(actions=("label",), explanation="Labelled instead of removed.")

    appeal_decide(
        appeal_id=appeal.pk,
        actor=senior,
        outcome="modified",
        note="Removal and suspension were too harsh; a label is enough.",
        new_decision=new_input,
    )

    old.refresh_from_db()
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.MODIFIED
    assert old.status == Decision.Status.SUPERSEDED
    assert Strike.objects.get(decision=old).voided_at is not None
    assert AccountRestriction.objects.get(decision=old).lifted_at is not None
    reversal = Delivery.objects.get(kind=outbox_kinds.REVERSAL)
    assert (reversal.idempotency_key, reversal.cause_type, reversal.cause_id) == (
        f"reverse-{old.uuid}",
        "moderation.decision",
        str(old.pk),
    )

    new = Decision.objects.get(supersedes=old)
    assert (new.origin, new.moderator, new.status) == ("appeal", senior, "in_force")
    assert new.actions == ["label"]
    assert new.case_id == old.case_id
    assert validate_statement(Statement.objects.get(decision=new).payload) == []
    assert Strike.objects.get(decision=new).voided_at is None
    assert Delivery.objects.caused_by(new).filter(kind=outbox_kinds.ENFORCEMENT).exists()
    outcome = Delivery.objects.get(kind=outbox_kinds.APPEAL_OUTCOME)
    assert outcome.idempotency_key == f"appeal-{appeal.pk}"
    assert outcome.payload["new_decision"] == str(new.uuid)
    event = AuditEvent.objects.get(action="appeal.decided")
    assert event.data == {
        "outcome": "modified",
        "case": old.case_id,
        "decision": old.pk,
        "new_decision": new.pk,
    }


def test_reporter_appeal_against_no_violation_is_answered_with_a_new_decision(moderator, senior):
    decision = decide_case(moderator, no_violation())
    reporter_id = decision.case.reports.get().reporter.platform_id
    appeal = submit_appeal(decision, appellant_id=reporter_id)

    appeal_decide(
        appeal_id=appeal.pk,
        actor=senior,
        outcome="modified",
        note="The message is spam after all.",
        new_decision=violation(),
    )

    decision.refresh_from_db()
    assert decision.status == Decision.Status.SUPERSEDED
    assert not Delivery.objects.filter(kind=outbox_kinds.REVERSAL).exists()  # nothing to undo
    new = Decision.objects.get(supersedes=decision)
    assert validate_statement(new.statement.payload) == []
    outcome = Delivery.objects.get(kind=outbox_kinds.APPEAL_OUTCOME)
    assert outcome.payload["recipient"] == reporter_id


# --- Service: refusals write nothing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "note", "new_decision", "error"),
    [
        ("upheld", "", None, AppealRefused),
        ("upheld", "   ", None, AppealRefused),
        ("overturned", "Because.", None, AppealRefused),
        ("modified", "Because.", None, AppealRefused),
        ("modified", "Because.", violation(actions=("no_violation", "label")), InvalidDecision),
        ("modified", "Because.", violation(facts=""), InvalidDecision),
        ("upheld", "Because.", violation(), AppealRefused),
        ("reversed", "Because.", violation(), AppealRefused),
    ],
)
def test_appeal_decide_refuses_bad_input_and_writes_nothing(
    moderator, senior, outcome, note, new_decision, error
):
    appeal = appealed(moderator)
    before = written()

    with pytest.raises(error):
        appeal_decide(
            appeal_id=appeal.pk, actor=senior, outcome=outcome, note=note, new_decision=new_decision
        )

    assert written() == before


def test_appeal_decide_twice_is_refused(moderator, senior, senior2):
    appeal = appealed(moderator)
    appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="upheld", note="Stands.")
    before = written()

    with pytest.raises(AppealAlreadyDecided):
        appeal_decide(appeal_id=appeal.pk, actor=senior2, outcome="reversed", note="No, reverse.")

    assert written() == before


def test_appeal_decide_needs_the_permission(moderator, other_moderator):
    appeal = appealed(moderator)
    before = written()

    with pytest.raises(NotAllowed):
        appeal_decide(appeal_id=appeal.pk, actor=other_moderator, outcome="upheld", note="Fine.")

    assert written() == before


def test_original_decider_cannot_decide_the_appeal(senior):
    appeal = appealed(senior)
    before = written()

    with pytest.raises(OwnDecisionAppealed):
        appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="upheld", note="I was right.")

    assert written() == before


def test_decider_of_a_superseded_decision_cannot_decide_the_next_appeal(senior, senior2, make_user):
    first = appealed(senior, violation(**SUSPEND))
    appeal_decide(
        appeal_id=first.pk,
        actor=senior2,
        outcome="modified",
        note="A shorter suspension.",
        new_decision=violation(**{**SUSPEND, "suspend_days": 2}),
    )
    replacement = Decision.objects.get(supersedes=first.decision)
    second = submit_appeal(replacement)
    before = written()

    for earlier_decider in (senior, senior2):
        with pytest.raises(OwnDecisionAppealed):
            appeal_decide(
                appeal_id=second.pk, actor=earlier_decider, outcome="reversed", note="Undo it."
            )
    assert written() == before

    third_senior = make_user(Role.SENIOR_MODERATOR)
    appeal_decide(appeal_id=second.pk, actor=third_senior, outcome="upheld", note="Proportionate.")
    assert Appeal.objects.get(pk=second.pk).status == Appeal.Status.UPHELD


def test_reversing_a_no_violation_decision_is_refused(moderator, senior):
    decision = decide_case(moderator, no_violation())
    appeal = submit_appeal(decision, appellant_id=decision.case.reports.get().reporter.platform_id)
    before = written()

    with pytest.raises(AppealRefused, match="modified"):
        appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="reversed", note="Act on it.")

    assert written() == before


# --- Selectors --------------------------------------------------------------------------------


def test_appeal_queue_lists_pending_first_then_oldest_first(moderator, senior):
    first, second, third = (appealed(moderator) for _ in range(3))
    appeal_decide(appeal_id=first.pk, actor=senior, outcome="upheld", note="Stands.")

    page = appeal_selectors.appeal_queue()

    assert [a.pk for a in page.appeals] == [second.pk, third.pk, first.pk]


def test_appeal_queue_pages_by_keyset_across_pending_and_decided(moderator, senior):
    appeals = [appealed(moderator) for _ in range(5)]
    for appeal in appeals[:2]:
        appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="upheld", note="Stands.")
    expected = [a.pk for a in appeals[2:] + appeals[:2]]

    seen, cursor = [], None
    for _ in range(3):
        page = appeal_selectors.appeal_queue(cursor=cursor, size=2)
        seen += [a.pk for a in page.appeals]
        cursor = page.next_cursor
    assert seen == expected
    assert cursor is None
    decided = appeal_selectors.appeal_queue(status="upheld", size=1)
    assert [a.pk for a in decided.appeals] == [appeals[0].pk]
    after = appeal_selectors.appeal_queue(status="upheld", size=1, cursor=decided.next_cursor)
    assert [a.pk for a in after.appeals] == [appeals[1].pk]


def test_reversal_rates_on_a_known_set(moderator, other_moderator, senior):
    # moderator: three appealed decisions in "spam"; one of them appealed twice.
    m1, m2, _still_pending = (appealed(moderator) for _ in range(3))
    appeal_decide(appeal_id=m1.pk, actor=senior, outcome="upheld", note="Stands.")
    again = submit_appeal(m1.decision)
    appeal_decide(appeal_id=again.pk, actor=senior, outcome="reversed", note="New facts.")
    appeal_decide(appeal_id=m2.pk, actor=senior, outcome="reversed", note="Wrong.")
    # other_moderator: one "spam" decision upheld, two "scams_fraud" ones modified / reversed.
    o1 = appealed(other_moderator)
    o2 = appealed(other_moderator, category="scams_fraud")
    o3 = appealed(other_moderator, category="scams_fraud")
    appeal_decide(appeal_id=o1.pk, actor=senior, outcome="upheld", note="Stands.")
    appeal_decide(
        appeal_id=o2.pk,
        actor=senior,
        outcome="modified",
        note="Label only.",
        new_decision=violation(actions=("label",)),
    )
    appeal_decide(appeal_id=o3.pk, actor=senior, outcome="reversed", note="Wrong.")

    rates = appeal_selectors.reversal_rates()

    by_moderator = {r.label: r for r in rates.by_moderator}
    assert set(by_moderator) == {"mod", "mod2"}
    mod = by_moderator["mod"]
    assert (mod.appealed, mod.pending, mod.upheld, mod.reversed, mod.modified) == (3, 1, 1, 2, 0)
    assert mod.reversal_rate == 67  # 2 of 3 decided appeals, rounded half up
    mod2 = by_moderator["mod2"]
    assert (mod2.appealed, mod2.pending, mod2.upheld, mod2.reversed, mod2.modified) == (
        3,
        0,
        1,
        1,
        1,
    )
    assert mod2.reversal_rate == 67
    by_category = {r.key: r for r in rates.by_category}
    spam = by_category[m1.decision.case.category_id]
    assert (spam.appealed, spam.pending, spam.upheld, spam.reversed, spam.modified) == (
        4,
        1,
        2,
        2,
        0,
    )
    assert spam.reversal_rate == 50
    scams = by_category[o2.decision.case.category_id]
    assert (scams.appealed, scams.upheld, scams.reversed, scams.modified) == (2, 0, 1, 1)
    assert scams.reversal_rate == 100
    assert rates.total.appealed == 6
    assert rates.total.reversal_rate == 67  # 4 of 6 decided (the pending one does not count)


def test_reversal_rate_is_none_without_decided_appeals(moderator):
    appealed(moderator)

    (row,) = appeal_selectors.reversal_rates().by_moderator

    assert (row.appealed, row.pending, row.reversal_rate) == (1, 1, None)


# --- Views --------------------------------------------------------------------------------------


def test_moderators_get_403_on_every_appeal_page(moderator, moderator_client):
    appeal = appealed(moderator)
    before = written()

    urls = [
        reverse("moderation:appeals"),
        reverse("moderation:appeal", args=[appeal.pk]),
        reverse("moderation:appeal_stats"),
    ]
    for url in urls:
        assert moderator_client.get(url).status_code == 403, url
    decide_url = reverse("moderation:appeal_decide", args=[appeal.pk])
    response = moderator_client.post(decide_url, {"outcome": "reversed", "note": "Mine."})
    assert response.status_code == 403
    assert written() == before
    # Each refusal is recorded, and that is all that was written.
    assert AuditEvent.objects.filter(action="authz.denied").count() == 4


def test_unknown_appeal_is_404(senior_client):
    assert senior_client.get(reverse("moderation:appeal", args=[999999])).status_code == 404
    response = senior_client.post(
        reverse("moderation:appeal_decide", args=[999999]), {"outcome": "upheld", "note": "x"}
    )
    assert response.status_code == 404


def test_appeal_queue_page_filters_by_status_with_htmx(moderator, senior, senior_client):
    pending = appealed(moderator)
    upheld = appealed(moderator)
    appeal_decide(appeal_id=upheld.pk, actor=senior, outcome="upheld", note="Stands.")

    page = senior_client.get(reverse("moderation:appeals"))
    assert page.status_code == 200
    assert [a.pk for a in page.context["page"].appeals] == [pending.pk, upheld.pk]
    assert b'data-nav="moderation:appeals"' in page.content

    partial = senior_client.get(
        reverse("moderation:appeals"),
        {"status": "upheld"},
        headers={"HX-Request": "true", "HX-Target": "appeal-table"},
    )
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b'id="appeal-table"' in partial.content
    assert [a.pk for a in partial.context["page"].appeals] == [upheld.pk]

    bad = senior_client.get(reverse("moderation:appeals"), {"status": "lost"})
    assert bad.status_code == 200
    assert b"form-errors" in bad.content


def test_appeal_queue_query_count_does_not_grow_with_rows(
    moderator, senior_client, django_assert_num_queries
):
    for _ in range(2):
        appealed(moderator)
    with django_assert_num_queries(7) as small:
        assert senior_client.get(reverse("moderation:appeals")).status_code == 200
    for _ in range(10):
        appealed(moderator)
    with django_assert_num_queries(len(small.captured_queries)):
        response = senior_client.get(reverse("moderation:appeals"))
    assert len(response.context["page"].appeals) == 12


def test_stats_page_query_count_does_not_grow_with_rows(
    moderator, other_moderator, senior, senior_client, django_assert_num_queries
):
    for who in (moderator, other_moderator):
        appeal = appealed(who)
        appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="reversed", note="Wrong.")
    with django_assert_num_queries(6) as small:
        assert senior_client.get(reverse("moderation:appeal_stats")).status_code == 200
    for i in range(10):
        appeal = appealed(moderator if i % 2 else other_moderator, category="scams_fraud")
        appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="upheld", note="Stands.")
    with django_assert_num_queries(len(small.captured_queries)):
        response = senior_client.get(reverse("moderation:appeal_stats"))
    assert response.context["rates"].total.appealed == 12
    assert "Reversal rate" in response.content.decode()


def test_appeal_page_shows_reasons_decision_statement_and_evidence(moderator, senior_client):
    appeal = appealed(moderator, description="Spam from a bot network.")

    response = senior_client.get(reverse("moderation:appeal", args=[appeal.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "My message was a joke between friends" in html
    assert appeal.decision.statement.puid in html
    assert "Spam from a bot network." in html
    assert "Terms of Service §7.2 (spam)" in html
    assert 'name="outcome"' in html
    assert 'name="actions"' in html  # the DecisionForm for "modified"


def test_decide_without_htmx_redirects_to_the_appeal(moderator, senior, senior_client):
    appeal = appealed(moderator, violation(**SUSPEND))
    url = reverse("moderation:appeal_decide", args=[appeal.pk])

    response = senior_client.post(url, {"outcome": "reversed", "note": "Satire, not spam."})

    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:appeal", args=[appeal.pk])
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by) == ("reversed", senior)
    assert Delivery.objects.filter(kind=outbox_kinds.REVERSAL).count() == 1
    page = senior_client.get(response["Location"])
    assert "Satire, not spam." in page.content.decode()


def test_decide_modified_with_htmx_returns_the_outcome_region(moderator, senior_client):
    appeal = appealed(moderator, violation(**SUSPEND))
    data = {
        "outcome": "modified",
        "note": "Suspension dropped; removal stands.",
        "actions": ["remove_content"],
        "ground": "terms",
        "terms_clause": "Terms of Service §7.2 (spam)",
        "facts": "The message is unsolicited bulk advertising.",
        "dsa_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    }

    response = senior_client.post(
        reverse("moderation:appeal_decide", args=[appeal.pk]), data, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "appeal-decided"
    assert b"<html" not in response.content
    assert b'id="appeal-outcome"' in response.content
    # The heading's status badge changes with it, swapped out of band.
    status = b'<span id="appeal-status" hx-swap-oob="true" class="badge">Decision modified<'
    assert status in response.content
    new = Decision.objects.get(supersedes=appeal.decision)
    assert new.actions == ["remove_content"]
    assert validate_statement(new.statement.payload) == []


def test_decide_form_errors_rerender_with_200_and_write_nothing(moderator, senior_client):
    appeal = appealed(moderator)
    url = reverse("moderation:appeal_decide", args=[appeal.pk])
    before = written()

    missing_note = senior_client.post(url, {"outcome": "upheld", "note": ""})
    bad_decision = senior_client.post(
        url,
        {"outcome": "modified", "note": "Label it.", "actions": ["label"], "ground": "terms"},
        headers={"HX-Request": "true"},
    )

    assert missing_note.status_code == 200
    assert missing_note.context["form"].errors["note"]
    assert bad_decision.status_code == 200
    assert bad_decision.context["decision_form"].errors
    assert b'id="appeal-outcome"' in bad_decision.content
    assert written() == before


def test_original_decider_is_refused_through_the_view(senior, senior_client):
    appeal = appealed(senior)
    page = senior_client.get(reverse("moderation:appeal", args=[appeal.pk]))
    assert 'name="outcome"' not in page.content.decode()  # no form for one's own decision
    before = written()

    response = senior_client.post(
        reverse("moderation:appeal_decide", args=[appeal.pk]),
        {"outcome": "upheld", "note": "I was right."},
    )

    assert response.status_code == 200
    assert OwnDecisionAppealed.message in response.context["form"].non_field_errors()
    assert "another senior moderator must decide" in response.content.decode()
    assert written() == before
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.PENDING


def test_lost_race_shows_the_refusal_and_the_other_outcome(moderator, senior2, senior_client):
    appeal = appealed(moderator)
    appeal_decide(appeal_id=appeal.pk, actor=senior2, outcome="upheld", note="Stands.")

    response = senior_client.post(
        reverse("moderation:appeal_decide", args=[appeal.pk]),
        {"outcome": "reversed", "note": "Reverse."},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert AppealAlreadyDecided.message in html
    assert "Stands." in html
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.UPHELD


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_seniors_deciding_one_appeal_at_once_one_wins(make_user):
    moderator = make_user(Role.MODERATOR)
    seniors = [make_user(Role.SENIOR_MODERATOR) for _ in range(2)]
    appeal = appealed(moderator, violation(**SUSPEND))

    def decide(user, outcome):
        return lambda: appeal_decide(
            appeal_id=appeal.pk, actor=user, outcome=outcome, note="At once."
        )

    results = race(decide(seniors[0], "reversed"), decide(seniors[1], "upheld"))
    errors = race_errors(results, AppealAlreadyDecided)
    outcomes = race_outcomes(results, refusal=AppealAlreadyDecided, ok="won")

    assert errors == []
    assert sorted(outcomes) == ["refused", "won"]
    assert AuditEvent.objects.filter(action="appeal.decided").count() == 1
    assert Delivery.objects.filter(kind=outbox_kinds.APPEAL_OUTCOME).count() == 1
    appeal.refresh_from_db()
    reversals = Delivery.objects.filter(kind=outbox_kinds.REVERSAL).count()
    assert reversals == (1 if appeal.status == Appeal.Status.REVERSED else 0)


def reporter_record(appeal: Appeal) -> tuple[int, int]:
    reporter = appeal.decision.case.reports.get().reporter
    reporter.refresh_from_db()
    return reporter.reports_resolved, reporter.reports_actioned


@pytest.mark.parametrize(
    ("first", "outcome", "replacement", "expected"),
    [
        (violation(), "upheld", None, (1, 1)),
        (violation(), "reversed", None, (1, 0)),
        (violation(), "modified", no_violation(), (1, 0)),
        (no_violation(), "modified", violation(), (1, 1)),
        (violation(**SUSPEND), "modified", violation(actions=("label",)), (1, 1)),
    ],
)
def test_an_appeal_corrects_the_reporters_track_record(
    moderator, senior, first, outcome, replacement, expected
):
    """Each case counts once per reporter, with the outcome that finally stands."""
    appeal = appealed(moderator, first)
    assert reporter_record(appeal) == (1, int(first.is_violation))

    appeal_decide(
        appeal_id=appeal.pk,
        actor=senior,
        outcome=outcome,
        note="Looked at it again with the whole conversation.",
        new_decision=replacement,
    )

    assert reporter_record(appeal) == expected


def test_next_appeal_is_the_oldest_waiting_one_not_against_my_own_decision(
    moderator, senior, senior_client, make_user
):
    from accounts.roles import Role

    own = appealed(senior, violation())  # against the senior's own decision: never offered
    first = appealed(moderator, violation())
    second = appealed(moderator, violation())
    url = reverse("moderation:appeal_next")

    assert senior_client.get(url)["Location"] == reverse("moderation:appeal", args=[first.pk])
    after_first = senior_client.get(url, {"after": first.pk})
    assert after_first["Location"] == reverse("moderation:appeal", args=[second.pk])
    for bad in ("abc", "-1", "9" * 40):
        assert senior_client.get(url, {"after": bad}).status_code == 302  # ignored, not a 500

    other = make_user(Role.SENIOR_MODERATOR)
    appeal_decide(appeal_id=first.pk, actor=other, outcome="upheld", note="Spam, clearly.")
    appeal_decide(appeal_id=second.pk, actor=other, outcome="upheld", note="Spam, clearly.")
    response = senior_client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("moderation:appeals")
    assert "No other appeal is waiting for you." in response.content.decode()
    assert own.status == "pending"
