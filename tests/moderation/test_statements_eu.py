"""What a decision's statement of reasons says about the content and its author."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from moderation.dsa import validate_statement
from moderation.models import Case, Report, Statement
from moderation.services import claims, decisions
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db


def statement_for(case: Case, moderator) -> dict[str, Any]:
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    payload = Statement.objects.get(decision=made).payload
    assert validate_statement(payload) == [], payload
    return payload


@pytest.mark.parametrize(
    ("kind", "account_type"),
    [("business", "ACCOUNT_TYPE_BUSINESS"), ("user", "ACCOUNT_TYPE_PRIVATE")],
)
def test_account_type_follows_what_intake_knows_of_the_author(moderator, kind, account_type):
    case = make_case(subject__author_kind=kind)

    assert statement_for(case, moderator)["account_type"] == account_type


def test_account_type_is_left_out_for_a_bot(moderator):
    """A bot may be run by a trader or by a private person: the optional field stays out."""
    case = make_case(subject__type="bot", subject__author_kind="bot", subject__chat_id="")

    assert "account_type" not in statement_for(case, moderator)


@pytest.mark.parametrize(("stored", "emitted"), [("he", "HE"), ("id", "ID"), ("EN", "EN")])
def test_content_language_is_the_reports_listed_language_in_upper_case(moderator, stored, emitted):
    case = make_case(language=stored.lower())
    Report.objects.filter(case=case).update(language=stored)

    assert statement_for(case, moderator)["content_language"] == emitted


@pytest.mark.parametrize("stored", ["iw", "in", "xx", "zz", "zxx", "arz", "e"])
def test_a_language_the_eu_database_does_not_list_is_left_out(moderator, stored):
    """Reports stored before intake checked the list still make valid statements."""
    case = make_case()
    Report.objects.filter(case=case).update(language=stored)

    assert "content_language" not in statement_for(case, moderator)


def test_content_posted_after_the_decision_is_dated_the_day_the_decision_applies(moderator):
    """Data stored before intake refused future posting times: the clamp, not the validator."""
    case = make_case()
    Report.objects.filter(case=case).update(posted_at=timezone.now() + timedelta(days=3))

    statement = statement_for(case, moderator)

    assert statement["content_date"] == statement["application_date"]


def test_a_report_without_posting_time_reported_ahead_is_dated_no_later_than_the_decision(
    moderator,
):
    case = make_case(subject__posted_at=None, reported_at=timezone.now() + timedelta(days=400))

    statement = statement_for(case, moderator)

    assert statement["content_date"] <= statement["application_date"]


@pytest.mark.parametrize(
    ("posted", "content_date"),
    [
        (datetime(2003, 5, 6, 12, tzinfo=UTC), "2003-05-06"),  # old content keeps its date
        (datetime(2000, 1, 1, tzinfo=UTC), "2000-01-01"),
        (datetime(1995, 7, 8, tzinfo=UTC), "2000-01-01"),  # the database's earliest date
    ],
)
def test_old_content_keeps_its_date_down_to_the_databases_earliest(moderator, posted, content_date):
    case = make_case(subject__posted_at=posted)

    assert statement_for(case, moderator)["content_date"] == content_date
