"""The report API refuses languages the EU database does not list and future posting times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import Report
from moderation.services.intake import POSTED_AT_MAX_SKEW
from tests.api.conftest import REPORTS_URL
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["xx", "iw", "in", "zz", "ji", "jw", "mo", "sh", "qq"])
def test_report_with_a_language_the_eu_database_does_not_list_is_refused(api, language):
    response = api.post(REPORTS_URL, report_json(language=language))

    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "language"
    assert "language" in error["message"]
    assert repr(language) in error["message"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("language", ["en", "he", "id", "yi", "nb", "zu"])
def test_report_with_a_listed_language_is_accepted(api, language):
    response = api.post(REPORTS_URL, report_json(language=language))

    assert response.status_code == 201, response.content
    assert Report.objects.get().language == language


def test_batch_lists_a_report_with_an_unlisted_language_among_the_rejected(api):
    good, bad = report_json(), report_json(language="xx")

    response = api.post(REPORTS_URL, {"reports": [good, bad]})

    assert response.status_code == 200
    answer = response.json()
    assert [r["external_id"] for r in answer["results"]] == [good["external_id"]]
    (rejected,) = answer["rejected"]
    assert (rejected["index"], rejected["external_id"]) == (1, bad["external_id"])
    assert [e["field"] for e in rejected["errors"]] == ["language"]
    assert list(Report.objects.values_list("external_id", flat=True)) == [good["external_id"]]


def test_report_posted_in_the_future_is_refused_with_a_field_error(api):
    posted = timezone.now() + POSTED_AT_MAX_SKEW + timedelta(minutes=10)

    response = api.post(REPORTS_URL, report_json(subject__posted_at=posted.isoformat()))

    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "subject.posted_at"
    assert "future" in error["message"]
    assert not Report.objects.exists()


def test_report_posted_a_year_ahead_in_a_batch_is_rejected_alone(api):
    good = report_json()
    ahead = report_json(subject__posted_at=(timezone.now() + timedelta(days=365)).isoformat())

    answer = api.post(REPORTS_URL, {"reports": [ahead, good]}).json()

    assert [r["external_id"] for r in answer["results"]] == [good["external_id"]]
    assert [e["field"] for e in answer["rejected"][0]["errors"]] == ["subject.posted_at"]


def test_report_posted_within_the_clock_skew_is_accepted_as_given(api):
    posted = timezone.now() + POSTED_AT_MAX_SKEW - timedelta(minutes=2)

    response = api.post(REPORTS_URL, report_json(subject__posted_at=posted.isoformat()))

    assert response.status_code == 201, response.content
    assert Report.objects.get().posted_at == posted


def test_report_posted_long_ago_keeps_its_posting_time(api):
    response = api.post(REPORTS_URL, report_json(subject__posted_at="1998-03-04T05:06:07Z"))

    assert response.status_code == 201, response.content
    assert Report.objects.get().posted_at.isoformat() == "1998-03-04T05:06:07+00:00"
