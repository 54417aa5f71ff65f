"""
Thread context: the messages around a reported message in its group or channel, sent with the
report, validated strictly (position, provenance, times, counts, order), stored on the report
and shown on the case page in thread order, each marked as context with its provenance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.token_services import api_token_issue
from accounts.tokens import Scope
from moderation.models import Report
from moderation.services.intake import (
    CONTEXT_MAX_PER_SIDE,
    ContextMessageInput,
    reports_ingest,
)
from tests.api.conftest import REPORTS_URL, ApiClient
from tests.api.payloads import report_json
from tests.moderation.bidi import DISARMED, EVIL, check_isolation
from tests.moderation.factories import make_case, report_input

pytestmark = pytest.mark.django_db

POSTED = timezone.now().replace(microsecond=0) - timedelta(hours=2)


@pytest.fixture
def api(db) -> ApiClient:
    _, secret = api_token_issue(name="platform-threads", scopes=[Scope.REPORTS])
    return ApiClient(secret)


def message(n: int, position: str, *, minutes: int, **overrides: Any) -> dict[str, Any]:
    """One context message as the platform sends it, `minutes` from the reported one."""
    body: dict[str, Any] = {
        "position": position,
        "message_id": f"m-{n}",
        "author_id": f"acct-ctx-{n}",
        "author_name": f"Member {n}",
        "posted_at": (POSTED + timedelta(minutes=minutes)).isoformat(),
        "text": f"context message {n}",
        "provenance": "platform",
    }
    body.update(overrides)
    return body


def thread() -> list[dict[str, Any]]:
    return [
        message(1, "before", minutes=-3),
        message(2, "before", minutes=-1, provenance="reporter", author_name=None),
        message(3, "after", minutes=2),
    ]


def with_context(context: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return report_json(context=context, subject__posted_at=POSTED.isoformat(), **overrides)


def refusal(response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.json()
    assert not Report.objects.exists()
    return response.json()["errors"]


# --- intake through the API ---------------------------------------------------------------------


def test_context_is_stored_on_the_report_in_thread_order(api):
    response = api.post(REPORTS_URL, with_context(thread()))

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert [m["message_id"] for m in report.context] == ["m-1", "m-2", "m-3"]
    assert report.context[0] == {
        "position": "before",
        "message_id": "m-1",
        "author_id": "acct-ctx-1",
        "author_name": "Member 1",
        "posted_at": (POSTED - timedelta(minutes=3)).astimezone(UTC).isoformat()[:19] + "Z",
        "text": "context message 1",
        "provenance": "platform",
    }
    assert (report.context[1]["provenance"], report.context[1]["author_name"]) == ("reporter", "")


def test_report_without_context_stores_an_empty_list(api):
    response = api.post(REPORTS_URL, report_json())

    assert response.status_code == 201
    assert Report.objects.get().context == []


def test_context_in_a_channel_is_accepted(api):
    body = with_context(thread(), subject__chat_kind="channel")

    assert api.post(REPORTS_URL, body).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"position": "during"}, "context[0].position"),
        ({"provenance": "moderator"}, "context[0].provenance"),
        ({"provenance": None}, "context[0].provenance"),
        ({"posted_at": "2026-01-31T12:00:00"}, "context[0].posted_at"),  # no time zone
        ({"text": "x" * 4097}, "context[0].text"),
        ({"text": "nul\x00"}, "context[0].text"),
        ({"message_id": "has space"}, "context[0].message_id"),
        ({"colour": "red"}, "context[0].colour"),
    ],
)
def test_malformed_context_message_is_refused_with_its_field(api, change, field):
    context = thread()
    context[0].update(change)

    errors = refusal(api.post(REPORTS_URL, with_context(context)))

    assert [e["field"] for e in errors] == [field]


def test_context_message_posted_in_the_future_is_refused(api):
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    context = [*thread(), message(4, "after", minutes=0, posted_at=later)]

    errors = refusal(api.post(REPORTS_URL, with_context(context)))

    assert errors[0]["field"] == "context[3].posted_at"
    assert "future" in errors[0]["message"]


def test_context_within_the_clock_skew_is_accepted(api):
    now = timezone.now()
    body = report_json(
        subject__posted_at=(now - timedelta(minutes=1)).isoformat(),
        context=[
            message(1, "after", minutes=0, posted_at=(now + timedelta(minutes=2)).isoformat())
        ],
    )

    assert api.post(REPORTS_URL, body).status_code == 201


def test_more_than_ten_messages_on_one_side_are_refused(api):
    before = [message(n, "before", minutes=-60 + n) for n in range(CONTEXT_MAX_PER_SIDE + 1)]

    errors = refusal(api.post(REPORTS_URL, with_context(before)))

    assert errors == [
        {
            "field": "context",
            "message": "At most 10 messages 'before' the reported one (11 given).",
        }
    ]


def test_ten_on_each_side_are_accepted(api):
    context = [message(n, "before", minutes=-20 + n) for n in range(10)] + [
        message(n, "after", minutes=n + 1) for n in range(10, 20)
    ]

    assert api.post(REPORTS_URL, with_context(context)).status_code == 201


def test_more_than_twenty_messages_are_refused_before_anything_else(api):
    context = [message(n, "after", minutes=n) for n in range(21)]

    errors = refusal(api.post(REPORTS_URL, with_context(context)))

    assert [e["field"] for e in errors] == ["context"]


@pytest.mark.parametrize(
    ("messages", "says"),
    [
        ([message(1, "after", minutes=1), message(2, "before", minutes=2)], "in order"),
        ([message(1, "before", minutes=-1), message(2, "before", minutes=-2)], "in order"),
        ([message(1, "before", minutes=5)], "no later than"),
        ([message(1, "after", minutes=-5)], "no earlier than"),
        ([message(1, "before", minutes=-2), message(1, "before", minutes=-1)], "twice"),
    ],
)
def test_context_out_of_thread_order_is_refused(api, messages, says):
    errors = refusal(api.post(REPORTS_URL, with_context(messages)))

    assert [e["field"] for e in errors] == ["context"]
    assert says in errors[0]["message"]


@pytest.mark.parametrize(
    "subject",
    [
        {"subject__chat_kind": "private"},
        {"subject__chat_kind": None},
        {"subject__type": "account", "subject__chat_id": None, "subject__chat_kind": None},
    ],
)
def test_context_on_anything_but_a_group_or_channel_message_is_refused(api, subject):
    errors = refusal(api.post(REPORTS_URL, with_context(thread(), **subject)))

    assert [e["field"] for e in errors] == ["context"]
    assert "group or channel" in errors[0]["message"]


def test_batch_refuses_the_report_with_bad_context_and_stores_the_others(api):
    bad = thread()
    bad[1]["provenance"] = "hearsay"
    good, refused = with_context(thread()), with_context(bad)

    response = api.post(REPORTS_URL, {"reports": [good, refused]})

    assert response.status_code == 200
    answer = response.json()
    assert [r["external_id"] for r in answer["results"]] == [good["external_id"]]
    assert answer["rejected"] == [
        {
            "index": 1,
            "external_id": refused["external_id"],
            "errors": [
                {
                    "field": "context[1].provenance",
                    "message": "Input should be 'platform' or 'reporter'",
                }
            ],
        }
    ]
    assert Report.objects.get().context[1]["provenance"] == "reporter"


def test_duplicate_report_keeps_its_first_context(api):
    body = with_context(thread())
    api.post(REPORTS_URL, body)
    body["context"] = []

    response = api.post(REPORTS_URL, body)

    assert response.json()["status"] == "duplicate"
    assert len(Report.objects.get().context) == 3


# --- the service re-checks what the API checked --------------------------------------------------


def ingest_with(context: tuple[ContextMessageInput, ...], **overrides: Any):
    item = report_input(context=context, subject__posted_at=POSTED, **overrides)
    return item, reports_ingest(items=[item])


def context_input(position: str, minutes: int, **overrides: Any) -> ContextMessageInput:
    fields: dict[str, Any] = {
        "position": position,
        "message_id": f"m{minutes}",
        "author_id": "acct-ctx",
        "posted_at": POSTED + timedelta(minutes=minutes),
    }
    fields.update(overrides)
    return ContextMessageInput(**fields)


@pytest.mark.parametrize(
    "messages",
    [
        (context_input("sideways", -1),),
        (context_input("before", -1, provenance="rumour"),),
        (context_input("before", -1, posted_at=datetime(2026, 1, 1)),),  # naive
        (context_input("after", 1, posted_at=timezone.now() + timedelta(hours=1)),),
        (context_input("after", 1, text="x" * 4097),),
        tuple(context_input("after", n) for n in range(1, 12)),
    ],
)
def test_service_refuses_what_the_schema_would(messages):
    item, result = ingest_with(messages)

    assert result.rejected_fields == {item.external_id: "context"}
    assert not Report.objects.exists()


def test_service_refuses_context_on_a_private_chat():
    item, result = ingest_with((context_input("before", -1),), subject__chat_kind="private")

    assert "group or channel" in result.rejected[item.external_id]


# --- the case page ------------------------------------------------------------------------------


def case_with_thread(**overrides: Any):
    context = (
        context_input("before", -3, message_id="b1", text="first before", author_name="Ann"),
        context_input("before", -1, message_id="b2", text="second before", provenance="reporter"),
        context_input("after", 2, message_id="a1", text="the reply after"),
    )
    return make_case(
        context=context, subject__posted_at=POSTED, subject__text="THE REPORTED ONE", **overrides
    )


def render_thread(case) -> str:
    report = Report.objects.get(case=case)
    return render_to_string("moderation/_thread.html", {"report": report, "subject": case.subject})


def test_thread_shows_before_reported_after_in_order_with_provenance():
    html = render_thread(case_with_thread())

    order = [
        html.index(t)
        for t in ("first before", "second before", "THE REPORTED ONE", "the reply after")
    ]
    assert order == sorted(order)
    assert html.count("observed by the platform") == 2
    assert html.count("supplied by the reporter") == 1
    assert html.count('class="thread-message thread-context') == 3
    assert html.count('aria-current="true"') == 1  # the reported message, highlighted
    assert "Reported message" in html
    when = (POSTED - timedelta(minutes=3)).astimezone(UTC)
    assert f"{when:%Y-%m-%d %H:%M} UTC" in html


def test_thread_escapes_and_isolates_every_text():
    context = (
        context_input(
            "before",
            -1,
            text=f"<script>alert(1)</script> {EVIL}",
            author_name=f"<b>{EVIL}</b>",
            author_id="acct-evil",
        ),
    )
    case = make_case(context=context, subject__posted_at=POSTED)

    html = render_thread(case)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"<bdi>&lt;b&gt;evil{DISARMED}gnp.exe&lt;/b&gt;</bdi>" in html
    assert check_isolation(html).exposed == []


def test_thread_is_empty_without_context():
    assert render_thread(make_case()).strip() == ""


def test_thread_says_when_the_evidence_was_purged():
    case = case_with_thread()
    Report.objects.filter(case=case).update(context=[], evidence_purged_at=timezone.now())

    html = render_thread(case)

    assert "were purged on" in html
    assert "first before" not in html


def test_case_page_shows_the_thread(moderator_client):
    case = case_with_thread()

    body = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    order = [body.index(t) for t in ("first before", "second before", "the reply after")]
    assert order == sorted(order)
    assert "supplied by the reporter" in body
    assert check_isolation(body).exposed == []
