"""
Private and secret chats: the provenance of evidence (platform-observed or reporter-supplied),
checked at intake, badged on the case page and stated in the statement of reasons; and the
actions a chat kind makes impossible, neither offered by the forms nor accepted by the services.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.token_services import api_token_issue
from accounts.tokens import Scope
from moderation import chat_kinds
from moderation.demo_private import PREFIX, seed_private_chats
from moderation.dsa import validate_statement
from moderation.exceptions import InvalidDecision
from moderation.models import BulkJob, Case, Decision, PlatformAccount, Report, Statement, Subject
from moderation.models.decisions import Action
from moderation.services import bulk, claims, decisions
from moderation.services.intake import ContextMessageInput, reports_ingest
from moderation.statements import FACTS_LIMIT, facts_with_provenance, reporter_evidence_sentence
from signals.governance.engine import auto_actions_consider
from tests.api.conftest import REPORTS_URL, ApiClient
from tests.api.payloads import report_json
from tests.moderation.factories import make_case, report_input, submit_appeal, violation
from tests.signals.governance.helpers import rule, scored_case

pytestmark = pytest.mark.django_db

ChatKind = Subject.ChatKind
ROLLUP = chat_kinds.ROLLUP_CHAT_KINDS
POSTED = timezone.now().replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def api(db) -> ApiClient:
    _, secret = api_token_issue(name="platform-private", scopes=[Scope.REPORTS])
    return ApiClient(secret)


def in_chat(kind: str, **overrides: Any) -> dict[str, Any]:
    """A report body about a message in a chat of `kind` (with an owner where one is needed)."""
    fields: dict[str, Any] = {"subject__chat_kind": kind}
    if kind in ROLLUP:
        fields["subject__chat_owner_id"] = "acct-owner-1"
    fields.update(overrides)
    return report_json(**fields)


def refused(response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.json()
    assert not Report.objects.exists()
    return response.json()["errors"]


def private_case(kind: str, **overrides: Any) -> Case:
    fields: dict[str, Any] = {"subject__chat_kind": kind}
    if kind in ROLLUP:
        fields["subject__chat_owner_id"] = "acct-owner-1"
    fields.update(overrides)
    return make_case(**fields)


# --- intake through the API ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "provenance"),
    [
        ("group", "platform"),
        ("channel", "platform"),
        ("private", "reporter"),
        ("private_group", "reporter"),
        ("private_channel", "reporter"),
        ("secret", "reporter"),
    ],
)
def test_each_chat_kind_is_accepted_with_its_default_provenance(api, kind, provenance):
    response = api.post(REPORTS_URL, in_chat(kind))

    assert response.status_code == 201, response.json()
    report = Report.objects.select_related("subject").get()
    assert (report.subject.chat_kind, report.evidence_provenance) == (kind, provenance)


def test_reporter_provenance_may_be_claimed_for_a_public_group(api):
    response = api.post(REPORTS_URL, in_chat("group", subject__evidence_provenance="reporter"))

    assert response.status_code == 201, response.json()
    assert Report.objects.get().evidence_provenance == "reporter"


def test_private_group_owner_and_title_are_stored(api):
    body = in_chat(
        "private_group", subject__chat_owner_id="acct-owner-9", subject__chat_title="Moon 🚀"
    )

    assert api.post(REPORTS_URL, body).status_code == 201

    subject = Subject.objects.select_related("chat_owner").get()
    assert (subject.chat_owner.platform_id, subject.chat_title) == ("acct-owner-9", "Moon 🚀")


@pytest.mark.parametrize("kind", sorted(chat_kinds.PRIVATE_CHAT_KINDS))
def test_platform_provenance_for_a_private_kind_is_refused(api, kind):
    body = in_chat(kind, subject__evidence_provenance="platform")

    errors = refused(api.post(REPORTS_URL, body))

    assert [e["field"] for e in errors] == ["subject.evidence_provenance"]
    assert "provenance 'platform' is impossible" in errors[0]["message"]
    assert "reporter" in errors[0]["message"]


def test_batch_refuses_platform_provenance_and_stores_the_others(api):
    good = in_chat("private_group")
    bad = in_chat("secret", subject__evidence_provenance="platform")

    response = api.post(REPORTS_URL, {"reports": [good, bad]})

    assert response.status_code == 200
    answer = response.json()
    assert [r["external_id"] for r in answer["results"]] == [good["external_id"]]
    [rejected] = answer["rejected"]
    assert rejected["external_id"] == bad["external_id"]
    assert [e["field"] for e in rejected["errors"]] == ["subject.evidence_provenance"]
    assert Report.objects.get().external_id == good["external_id"]


@pytest.mark.parametrize("kind", sorted(ROLLUP))
def test_a_private_group_or_channel_message_needs_its_chat_owner(api, kind):
    errors = refused(api.post(REPORTS_URL, report_json(subject__chat_kind=kind)))

    assert [e["field"] for e in errors] == ["subject.chat_owner_id"]
    assert "required" in errors[0]["message"]
    assert not PlatformAccount.objects.exists()


@pytest.mark.parametrize(
    "subject",
    [
        {"subject__chat_kind": "group"},
        {"subject__chat_kind": "private"},
        {"subject__chat_kind": "secret"},
        # Not a message: the roll-up is about messages in the group.
        {"subject__type": "account", "subject__chat_kind": "private_group"},
    ],
)
def test_a_chat_owner_is_refused_for_any_other_subject(api, subject):
    body = report_json(subject__chat_owner_id="acct-owner-1", **subject)

    errors = refused(api.post(REPORTS_URL, body))

    assert [e["field"] for e in errors] == ["subject.chat_owner_id"]
    assert "only for a message in a private group" in errors[0]["message"]


def test_an_unknown_chat_kind_is_refused(api):
    errors = refused(api.post(REPORTS_URL, report_json(subject__chat_kind="supergroup")))

    assert [e["field"] for e in errors] == ["subject.chat_kind"]


def _context(provenance: str) -> list[dict[str, Any]]:
    return [
        {
            "position": "before",
            "message_id": "ctx-1",
            "author_id": "acct-ctx-1",
            "posted_at": (POSTED - timedelta(minutes=3)).isoformat(),
            "text": "Deposit before the pump!",
            "provenance": provenance,
        }
    ]


def test_thread_context_from_the_reporter_is_accepted_in_a_private_group(api):
    body = in_chat("private_group", context=_context("reporter"))
    body["subject"]["posted_at"] = POSTED.isoformat()

    response = api.post(REPORTS_URL, body)

    assert response.status_code == 201, response.json()
    assert Report.objects.get().context[0]["provenance"] == "reporter"


def test_thread_context_the_platform_claims_to_have_seen_in_a_private_group_is_refused(api):
    body = in_chat("private_group", context=_context("platform"))
    body["subject"]["posted_at"] = POSTED.isoformat()

    errors = refused(api.post(REPORTS_URL, body))

    assert [e["field"] for e in errors] == ["context"]
    assert "provenance 'platform' is impossible for a private group" in errors[0]["message"]


def test_the_openapi_describes_the_new_subject_fields(client):
    schema = client.get("/api/v1/openapi.json").json()
    text = str(schema)

    for words in ("chat_owner_id", "evidence_provenance", "private_group", "end-to-end"):
        assert words in text


# --- the service checks the same rules for every caller ------------------------------------------


def test_service_refuses_platform_provenance_and_stores_the_rest_of_the_batch():
    good = report_input(subject__chat_kind="private")
    bad = report_input(subject__chat_kind="private", subject__evidence_provenance="platform")

    result = reports_ingest(items=[good, bad])

    assert result.rejected_fields == {bad.external_id: "subject.evidence_provenance"}
    assert "impossible for a private chat" in result.rejected[bad.external_id]
    assert list(Report.objects.values_list("external_id", "evidence_provenance")) == [
        (good.external_id, "reporter")
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject__chat_kind": "private_group"}, "subject.chat_owner_id"),
        (
            {"subject__chat_kind": "group", "subject__chat_owner_id": "acct-owner"},
            "subject.chat_owner_id",
        ),
        ({"subject__chat_kind": "supergroup"}, "subject.chat_kind"),
        ({"subject__evidence_provenance": "hearsay"}, "subject.evidence_provenance"),
    ],
)
def test_service_refuses_bad_chat_fields(overrides, field):
    item = report_input(**overrides)

    result = reports_ingest(items=[item])

    assert result.rejected_fields == {item.external_id: field}
    assert not Report.objects.exists()
    assert not Subject.objects.exists()


def test_service_refuses_platform_context_in_a_private_channel():
    item = report_input(
        subject__chat_kind="private_channel",
        subject__chat_owner_id="acct-owner",
        subject__posted_at=POSTED,
        context=(
            ContextMessageInput(
                position="after",
                message_id="m1",
                author_id="acct-ctx",
                posted_at=POSTED + timedelta(minutes=1),
            ),
        ),
    )

    result = reports_ingest(items=[item])

    assert result.rejected_fields == {item.external_id: "context"}


def test_intake_of_private_group_reports_costs_the_same_queries_for_5_or_50():
    def batch(n: int, tag: str) -> list:
        return [
            report_input(
                subject__chat_kind="private_group",
                subject__chat_owner_id=f"owner-{tag}-{i % 3}",
                subject__chat_id=f"group-{tag}-{i}",
                subject__chat_title="A private group",
            )
            for i in range(n)
        ]

    with CaptureQueriesContext(connection) as small:
        reports_ingest(items=batch(5, "s"))
    with CaptureQueriesContext(connection) as large:
        reports_ingest(items=batch(50, "l"))

    assert len(large.captured_queries) == len(small.captured_queries)
    assert PlatformAccount.objects.filter(platform_id__startswith="owner-").count() == 6


# --- the case page ------------------------------------------------------------------------------


def _evidence_provenance(html: str) -> str:
    found = re.search(r'<dd class="evidence-provenance">(.*?)</dd>', html, re.S)
    assert found, "no provenance next to the evidence"
    return found.group(1)


def test_case_page_badges_reporter_supplied_evidence(moderator_client):
    case = private_case("private_group", subject__chat_title="Moonshot VIP")

    html = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    badge = _evidence_provenance(html)
    assert "Reporter-supplied: forwarded from a private group" in badge
    assert 'class="badge warn provenance provenance-reporter"' in badge
    assert "the platform did not observe it" in badge  # the title explains
    row = re.search(r'<tr id="report-\d+">(.*?)</tr>', html, re.S)
    assert row
    assert "Reporter-supplied: forwarded from a private group" in row.group(1)
    assert "Moonshot VIP" in html
    assert "acct-owner-1" in html  # the chat's owner
    assert "Private group" in html


def test_case_page_badges_platform_observed_evidence(moderator_client):
    case = make_case(subject__chat_kind="group")

    html = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    badge = _evidence_provenance(html)
    assert "Platform-observed" in badge
    assert "Reporter-supplied" not in html
    assert 'class="notice secret-chat"' not in html


def test_case_page_of_a_secret_chat_says_the_platform_holds_no_copy(moderator_client):
    case = private_case("secret", subject__type="account", subject__chat_id="")

    html = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    notice = re.search(r'<div class="notice secret-chat"[^>]*>(.*?)</div>', html, re.S)
    assert notice, "no secret chat notice"
    assert "holds no copy" in notice.group(1)
    for action in chat_kinds.IMPOSSIBLE_ACTIONS[ChatKind.SECRET]:
        assert str(Action(action).label) in notice.group(1)
    assert "forwarded from an end-to-end encrypted secret chat" in _evidence_provenance(html)


def test_case_page_query_count_does_not_grow_with_reports(moderator_client):
    case = private_case("private_group", subject__chat_id="grp-q")
    url = reverse("moderation:case", args=[case.pk])
    moderator_client.get(url)
    with CaptureQueriesContext(connection) as small:
        moderator_client.get(url)
    for i in range(8):
        make_case(
            subject__platform_id=case.subject.platform_id,
            subject__chat_kind="private_group",
            subject__chat_owner_id="acct-owner-1",
            subject__chat_id="grp-q",
            reporter_id=f"r-{i}",
            subject__evidence_provenance="reporter" if i % 2 else "",
        )
    with CaptureQueriesContext(connection) as large:
        response = moderator_client.get(url)

    assert len(response.context["ctx"].reports) == 9
    assert len(large.captured_queries) == len(small.captured_queries)


# --- impossible actions: not offered, refused when forged ----------------------------------------


def _decision_post(actions: list[str]) -> dict[str, Any]:
    return {
        "actions": actions,
        "countries": ["DE"],
        "ground": "terms",
        "terms_clause": "Terms §7.2",
        "dsa_category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "facts": "Scam message asking members to send money.",
    }


def _offered(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="actions" value="([a-z_]+)"', html))


IMPOSSIBLE = [
    (kind, action) for kind, actions in chat_kinds.IMPOSSIBLE_ACTIONS.items() for action in actions
]


@pytest.mark.parametrize("kind", sorted(chat_kinds.IMPOSSIBLE_ACTIONS))
def test_the_decision_form_does_not_offer_impossible_actions(moderator_client, moderator, kind):
    case = private_case(kind, category="scams_fraud")
    claims.case_claim(case_id=case.pk, actor=moderator)

    html = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    offered = _offered(html)
    impossible = set(chat_kinds.IMPOSSIBLE_ACTIONS[kind])
    assert offered == set(Action.values) - impossible
    note = re.search(r'<p class="help impossible-actions">(.*?)</p>', html, re.S)
    assert note
    assert f"Not offered in a {ChatKind(kind).label.lower()}" in note.group(1)


def test_a_public_group_case_offers_every_action(moderator_client, moderator):
    case = make_case(subject__chat_kind="group")
    claims.case_claim(case_id=case.pk, actor=moderator)

    html = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert _offered(html) == set(Action.values)
    assert "impossible-actions" not in html


@pytest.mark.parametrize(("kind", "action"), IMPOSSIBLE)
def test_a_forged_impossible_action_is_refused_and_writes_nothing(
    moderator_client, moderator, kind, action
):
    case = private_case(kind, category="scams_fraud")
    claims.case_claim(case_id=case.pk, actor=moderator)

    response = moderator_client.post(
        reverse("moderation:case_decide", args=[case.pk]), _decision_post([action])
    )

    assert response.status_code == 200
    assert chat_kinds.actions_refusal(kind, [action]) in response.content.decode().replace(
        "&#x27;", "'"
    )
    assert not Decision.objects.exists()
    assert not Statement.objects.exists()
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.CLAIMED, moderator)


def test_an_account_measure_on_a_secret_chat_case_is_decided(moderator_client, moderator):
    case = private_case("secret", category="harassment", subject__type="account")
    claims.case_claim(case_id=case.pk, actor=moderator)

    response = moderator_client.post(
        reverse("moderation:case_decide", args=[case.pk]), _decision_post(["terminate_account"])
    )

    assert response.status_code == 302
    decision = Decision.objects.get(case=case)
    assert decision.actions == ["terminate_account"]
    assert case.subject.author.restrictions.get().kind == "terminated"


def test_the_appeal_decision_form_does_not_offer_impossible_actions(moderator, senior_client):
    case = private_case("secret", category="harassment")
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(
        case_id=case.pk, actor=moderator, decision=violation(actions=("terminate_account",))
    )
    appeal = submit_appeal(made)

    html = senior_client.get(reverse("moderation:appeal", args=[appeal.pk])).content.decode()

    assert _offered(html) == set(Action.values) - set(chat_kinds.IMPOSSIBLE_ACTIONS["secret"])
    assert "Not offered in a secret chat" in html


def test_an_appeal_modified_to_an_impossible_action_is_refused(moderator, senior_client):
    case = private_case("secret", category="harassment")
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(
        case_id=case.pk, actor=moderator, decision=violation(actions=("terminate_account",))
    )
    appeal = submit_appeal(made)

    response = senior_client.post(
        reverse("moderation:appeal_decide", args=[appeal.pk]),
        {"outcome": "modified", "note": "Content removal instead.", **_decision_post(["label"])},
    )

    assert response.status_code == 200
    assert "Impossible in a secret chat" in response.content.decode()
    assert Decision.objects.count() == 1
    appeal.refresh_from_db()
    assert appeal.status == "pending"


# --- bulk and automatic paths -------------------------------------------------------------------


def test_bulk_over_mixed_chat_kinds_refuses_only_the_impossible_cases(
    senior, django_capture_on_commit_callbacks
):
    public = make_case(category="scams_fraud", subject__chat_kind="group")
    group = private_case("private_group", category="scams_fraud", subject__chat_id="g-bulk")
    secret = private_case("secret", category="scams_fraud")

    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_job_start(
            actor=senior,
            case_ids=[public.pk, group.pk, secret.pk],
            filters=None,
            decision=violation(actions=("remove_content",)),
        )

    job.refresh_from_db()
    assert (job.status, job.done, job.skipped) == (BulkJob.Status.FINISHED, 2, 0)
    [error] = job.errors
    assert error["case"] == secret.pk
    assert error["error"] == chat_kinds.actions_refusal("secret", ["remove_content"])
    assert Case.objects.get(pk=secret.pk).status == Case.Status.OPEN
    assert not Decision.objects.filter(case=secret).exists()
    assert {c.status for c in Case.objects.filter(pk__in=[public.pk, group.pk])} == {
        Case.Status.RESOLVED
    }


def test_the_decision_service_refuses_impossible_actions_for_every_caller(moderator):
    case = private_case("private")
    claims.case_claim(case_id=case.pk, actor=moderator)

    with pytest.raises(InvalidDecision) as refusal:
        decisions.case_decide(
            case_id=case.pk, actor=moderator, decision=violation(actions=("remove_from_search",))
        )

    assert refusal.value.errors == {
        "actions": [chat_kinds.actions_refusal("private", ["remove_from_search"])]
    }
    assert not Decision.objects.exists()


def test_an_automatic_action_impossible_in_a_secret_chat_leaves_the_case_to_people():
    rule(threshold=90, actions=("remove_content", "label"))
    secret = scored_case(95, subject__chat_kind="secret")
    public = scored_case(95, subject__chat_kind="group")

    assert auto_actions_consider(case_ids=[secret.pk, public.pk]) == 1

    assert Case.objects.get(pk=secret.pk).status == Case.Status.OPEN
    assert not Decision.objects.filter(case=secret).exists()
    assert Case.objects.get(pk=public.pk).status == Case.Status.RESOLVED


# --- the statement of reasons --------------------------------------------------------------------


def _decide(case: Case, moderator, **decision: Any) -> dict[str, Any]:
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation(**decision))
    payload = Statement.objects.get(decision=made).payload
    assert validate_statement(payload) == []
    return payload


def test_statement_says_the_evidence_was_forwarded_from_a_private_group(moderator):
    case = private_case("private_group", category="scams_fraud")

    payload = _decide(case, moderator, facts="Members were asked to send crypto to a wallet.")

    facts = payload["decision_facts"]
    assert facts.startswith("Members were asked to send crypto to a wallet. ")
    assert facts.endswith(
        "The content was forwarded by the reporter from a private group; the platform could "
        "not observe it itself."
    )


def test_statement_of_a_secret_chat_names_end_to_end_encryption(moderator):
    case = private_case("secret", category="harassment", subject__type="account")

    payload = _decide(case, moderator, actions=("terminate_account",))

    assert "from an end-to-end encrypted secret chat" in payload["decision_facts"]


def test_statement_adds_nothing_for_platform_observed_evidence(moderator):
    case = make_case(subject__chat_kind="group")

    payload = _decide(case, moderator)

    assert payload["decision_facts"] == "The message is unsolicited bulk advertising."


def test_a_reporter_supplied_report_on_the_case_counts_even_if_the_evidence_is_not(moderator):
    first = report_input(subject__chat_kind="group", subject__evidence_provenance="reporter")
    reports_ingest(items=[first])
    case = make_case(
        subject__platform_id=first.subject.platform_id,
        subject__author_id=first.subject.author_id,
        subject__chat_kind="group",
    )
    assert Report.objects.filter(case=case).count() == 2

    payload = _decide(case, moderator)

    assert payload["decision_facts"].endswith(
        "forwarded by the reporter from a public group; the platform did not observe it itself."
    )


def test_statement_facts_keep_the_limit_with_5000_characters_of_facts(moderator):
    case = private_case("private_channel", category="scams_fraud")

    payload = _decide(case, moderator, facts="x" * 5000)

    facts = payload["decision_facts"]
    assert len(facts) == FACTS_LIMIT
    assert facts.startswith("x" * 4000)
    assert facts.endswith(reporter_evidence_sentence("private_channel"))


def test_facts_with_provenance_leave_platform_facts_alone():
    assert facts_with_provenance("y" * 6000, chat_kind="group", reporter_supplied=False) == (
        "y" * FACTS_LIMIT
    )
    assert facts_with_provenance("", chat_kind="private", reporter_supplied=True) == (
        reporter_evidence_sentence("private")
    )


# --- demo ----------------------------------------------------------------------------------------


def test_demo_seeds_private_chat_reports_once_all_reporter_supplied():
    created = seed_private_chats({})

    assert created == 9
    assert seed_private_chats({}) == 0
    reports = Report.objects.filter(external_id__startswith=PREFIX).select_related("subject")
    assert reports.count() == 9
    assert {r.evidence_provenance for r in reports} == {"reporter"}
    kinds = [r.subject.chat_kind for r in reports]
    assert (kinds.count("private_group"), kinds.count("private_channel")) == (5, 2)
    assert (kinds.count("secret"), kinds.count("private")) == (1, 1)
    group = [r for r in reports if r.subject.chat_kind == "private_group"]
    assert len({r.reporter_id for r in group}) == 5
    assert all(r.subject.chat_owner_id and r.subject.chat_title for r in group)
    with_thread = [r for r in group if r.context]
    assert len(with_thread) == 2
    assert {m["provenance"] for r in with_thread for m in r.context} == {"reporter"}
    secret = next(r for r in reports if r.subject.chat_kind == "secret")
    assert secret.subject.type == "account"
