from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from moderation.models import Appeal, Statement
from moderation.services import claims, decisions
from tests.api.conftest import APPEALS_URL
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)


@pytest.fixture
def statement(moderator) -> Statement:
    case = make_case(reporter_id="reporter-a")
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    return Statement.objects.select_related("decision__case__subject__author").get(decision=made)


def appeal_json(statement: Statement, **overrides: Any) -> dict[str, Any]:
    body = {
        "external_id": f"api-appeal-{next(_seq)}",
        "decision_puid": statement.puid,
        "appellant_id": statement.decision.case.subject.author.platform_id,
        "reason": "It was a joke between friends, not advertising.",
        "submitted_at": timezone.now().isoformat(),
    }
    body.update(overrides)
    return body


def test_appeal_is_created_then_recognised_when_sent_again(api, statement):
    body = appeal_json(statement)

    first = api.post(APPEALS_URL, body)
    again = api.post(APPEALS_URL, body)

    assert first.status_code == 201, first.json()
    appeal = Appeal.objects.get()
    assert first.json() == {"id": appeal.pk, "status": "created"}
    assert (again.status_code, again.json()) == (200, {"id": appeal.pk, "status": "duplicate"})
    assert appeal.decision_id == statement.decision_id
    assert AuditEvent.objects.filter(action="appeal.received").count() == 1


def test_a_reporter_of_the_case_may_appeal(api, statement):
    response = api.post(APPEALS_URL, appeal_json(statement, appellant_id="reporter-a"))

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"decision_puid": "tsd-00000000-0000-0000-0000-000000000000"}, "No decision"),
        ({"decision_puid": "tsd-not-a-uuid"}, "No decision"),
        ({"appellant_id": "someone-else"}, "Only the affected account or a reporter"),
        ({"reason": "   "}, "Give the reasons"),
    ],
)
def test_refused_appeal_is_a_422_with_the_reason_and_nothing_is_stored(
    api, statement, overrides, message
):
    response = api.post(APPEALS_URL, appeal_json(statement, **overrides))

    assert response.status_code == 422
    assert response.json()["detail"].startswith(message)
    assert response.json()["errors"][0]["message"].startswith(message)
    assert not Appeal.objects.exists()


def test_appeal_after_the_window_is_refused(api, statement, settings):
    settings.APPEAL_WINDOW_DAYS = 0

    response = api.post(APPEALS_URL, appeal_json(statement))

    assert response.status_code == 422
    assert response.json()["detail"].startswith("The appeal window closed")
    assert not Appeal.objects.exists()


def test_second_appeal_while_one_is_pending_is_refused(api, statement):
    api.post(APPEALS_URL, appeal_json(statement))

    response = api.post(APPEALS_URL, appeal_json(statement))

    assert response.status_code == 422
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"external_id": 7}, "external_id"),
        ({"external_id": "a" * 129}, "external_id"),
        ({"decision_puid": "tsd/../../etc"}, "decision_puid"),
        ({"decision_puid": "p" * 501}, "decision_puid"),
        ({"appellant_id": ""}, "appellant_id"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 10_001}, "reason"),
        ({"reason": "nul\x00"}, "reason"),
        ({"submitted_at": "2026-01-31T12:00:00"}, "submitted_at"),
        ({"submitted_at": None}, "submitted_at"),
        ({"status": "upheld"}, "status"),
    ],
)
def test_invalid_appeal_is_a_422_naming_the_field(api, statement, overrides, field):
    response = api.post(APPEALS_URL, appeal_json(statement, **overrides))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Appeal.objects.exists()


def test_missing_fields_are_each_named(api):
    response = api.post(APPEALS_URL, {})

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "external_id",
        "decision_puid",
        "appellant_id",
        "reason",
        "submitted_at",
    }


@pytest.mark.parametrize("body", [[], "appeal", 1, None])
def test_appeal_body_that_is_not_an_object_is_a_422(api, body):
    assert api.post(APPEALS_URL, body).status_code == 422


def test_appeal_body_that_is_not_json_is_a_400(api):
    assert api.post(APPEALS_URL, b"{nope", raw=True).status_code == 400
