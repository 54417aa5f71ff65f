from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.models import Count

from api_core.http import MAX_BODY_BYTES
from audit.models import AuditEvent
from moderation.models import Case, CaseSignal, PlatformAccount, Report, Reporter, Subject
from tests.api.conftest import REPORTS_URL
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db

# Token lookup and last-used stamp, category codes, then the intake transaction: a fixed
# set of statements (bulk inserts, grouped aggregates, one bulk update) and its audit event,
# plus, on PostgreSQL, one statement that takes the external ids' advisory locks.
INTAKE_QUERIES = 28 if connection.vendor != "postgresql" else 29


def stored() -> tuple[int, ...]:
    """Everything intake writes, to show that a refused request wrote nothing."""
    return (
        Report.objects.count(),
        Case.objects.count(),
        Subject.objects.count(),
        PlatformAccount.objects.count(),
        Reporter.objects.count(),
        CaseSignal.objects.count(),
        AuditEvent.objects.filter(action="reports.received").count(),
    )


def test_report_is_created_with_its_case(api):
    body = report_json(
        source="trusted_flagger",
        flagger_name="SafeNet e.V.",
        signals=[
            {"kind": "classifier", "name": "spam-v3", "label": "spam", "score": 0.874},
            {"kind": "hash_match", "name": "known-scams", "score": 1, "matched_hash": "ab12"},
        ],
        subject__media_sha256="AB" * 32,
        subject__media_url="https://cdn.platform.example/m/1.jpg",
        subject__content_type="image",
        subject__deep_link="tg://privatepost?channel=1&post=2",
    )

    response = api.post(REPORTS_URL, body)

    assert response.status_code == 201, response.json()
    answer = response.json()
    report = Report.objects.select_related("case", "subject__author").get()
    assert answer == {
        "id": report.pk,
        "case_id": report.case_id,
        "status": "created",
        "held": None,
    }
    assert report.external_id == body["external_id"]
    assert (report.source, report.flagger_name) == ("trusted_flagger", "SafeNet e.V.")
    assert report.media_sha256 == "ab" * 32
    assert report.subject.author.platform_id == body["subject"]["author_id"]
    assert report.case.has_trusted_flagger
    assert sorted(CaseSignal.objects.values_list("name", "score")) == [
        ("known-scams", 100),
        ("spam-v3", 87),
    ]
    event = AuditEvent.objects.get(action="reports.received")
    assert (event.data["channel"], event.data["created"]) == ("api", 1)


def test_minimal_automated_report_is_accepted(api):
    body = report_json(source="automated", reporter_id="", description="", language=...)
    body["subject"] = {"type": "account", "platform_id": "acct-77", "author_id": "acct-77"}

    response = api.post(REPORTS_URL, body)

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert (report.reporter, report.language, report.content_type) == (None, "", "text")


def test_same_external_id_twice_is_one_report_with_the_same_id(api):
    body = report_json()

    first = api.post(REPORTS_URL, body)
    again = api.post(REPORTS_URL, {**body, "description": "Sent again, changed."})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "status": "duplicate"}
    assert Report.objects.get().description == body["description"]


def test_batch_stores_valid_reports_and_lists_rejected_ones(api):
    existing = report_json()
    api.post(REPORTS_URL, existing)
    good = report_json()
    same_subject = report_json(
        subject__platform_id=good["subject"]["platform_id"],
        subject__author_id=good["subject"]["author_id"],
    )
    bad_category = report_json(category="no-such-category")
    naive = report_json(reported_at="2026-01-31T12:00:00")
    before = Report.objects.count()

    response = api.post(
        REPORTS_URL,
        {"reports": [good, bad_category, existing, "not an object", same_subject, naive, good]},
    )

    assert response.status_code == 200, response.json()
    answer = response.json()
    results = {(r["external_id"], r["status"]) for r in answer["results"]}
    assert [r["external_id"] for r in answer["results"]] == [
        good["external_id"],
        existing["external_id"],
        same_subject["external_id"],
        good["external_id"],
    ]
    assert results == {
        (good["external_id"], "created"),
        (existing["external_id"], "duplicate"),
        (same_subject["external_id"], "created"),
        (good["external_id"], "duplicate"),
    }
    first, dup, joined, repeat = answer["results"]
    assert first["case_id"] == joined["case_id"] == repeat["case_id"]
    assert first["id"] == repeat["id"]
    assert dup["id"] == Report.objects.get(external_id=existing["external_id"]).pk
    assert dup["case_id"] == Report.objects.get(external_id=existing["external_id"]).case_id
    assert [(r["index"], r["external_id"]) for r in answer["rejected"]] == [
        (1, bad_category["external_id"]),
        (3, None),
        (5, naive["external_id"]),
    ]
    assert answer["rejected"][0]["errors"][0]["field"] == "category"
    assert answer["rejected"][2]["errors"][0]["field"] == "reported_at"
    assert Report.objects.count() == before + 2
    case = Case.objects.get(pk=first["case_id"])
    assert (case.report_count, case.reporter_count) == (2, 2)


def test_batch_of_only_invalid_reports_stores_nothing(api):
    before = stored()

    response = api.post(REPORTS_URL, {"reports": [{"external_id": "x"}, 7]})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert [r["index"] for r in response.json()["rejected"]] == [0, 1]
    assert stored() == before


def _bad(field: str, value: object) -> tuple[dict, str]:
    """A report whose `field` (dotted for subject fields) holds `value`."""
    body = report_json()
    if field.startswith("subject."):
        body["subject"][field.removeprefix("subject.")] = value
    else:
        body[field] = value
    return body, field


BAD_REPORTS = {
    "external_id int": _bad("external_id", 12345),
    "external_id list": _bad("external_id", ["a"]),
    "external_id empty": _bad("external_id", ""),
    "external_id with space": _bad("external_id", "rep 1"),
    "external_id too long": _bad("external_id", "r" * 129),
    "unknown category": _bad("category", "gambling"),
    "category not a slug": _bad("category", "spam; DROP TABLE"),
    "unknown source": _bad("source", "rumour"),
    "user report without reporter": _bad("reporter_id", ""),
    "reporter_id too long": _bad("reporter_id", "x" * 65),
    "description null": _bad("description", None),
    "description too long": _bad("description", "x" * 10_001),
    "description with NUL": _bad("description", "bad\x00byte"),
    "naive reported_at": _bad("reported_at", "2026-01-31T12:00:00"),
    "date-only reported_at": _bad("reported_at", "2026-01-31"),
    "unix timestamp reported_at": _bad("reported_at", 1767225600),
    "garbage reported_at": _bad("reported_at", "yesterday"),
    "year 1 reported_at": _bad("reported_at", "0001-01-01T00:00:00+05:00"),
    "year 9999 reported_at": _bad("reported_at", "9999-12-31T23:59:59-05:00"),
    "upper-case language": _bad("language", "EN"),
    "three-letter language": _bad("language", "eng"),
    "flagger_name too long": _bad("flagger_name", "f" * 201),
    "signals not a list": _bad("signals", {"kind": "classifier"}),
    "too many signals": _bad("signals", [{"kind": "classifier", "name": "m", "score": 0.1}] * 21),
    "unknown field": _bad("priority", 999),
    "subject missing": _bad("subject", None),
    "subject a string": _bad("subject", "msg-1"),
    "unknown subject type": _bad("subject.type", "story"),
    "message without chat_id": _bad("subject.chat_id", ""),
    "message with null chat_id": _bad("subject.chat_id", None),
    "platform_id too long": _bad("subject.platform_id", "p" * 129),
    "author_id int": _bad("subject.author_id", 42),
    "author_username too long": _bad("subject.author_username", "u" * 65),
    "unknown author kind": _bad("subject.author_kind", "alien"),
    "unknown chat kind": _bad("subject.chat_kind", "forum"),
    "text too long": _bad("subject.text", "t" * 20_001),
    "text with lone surrogate": _bad("subject.text", "bad \ud800 text"),
    "unknown content type": _bad("subject.content_type", "gif"),
    "sha256 too short": _bad("subject.media_sha256", "ab" * 31),
    "sha256 not hex": _bad("subject.media_sha256", "zz" * 32),
    "media_url not http": _bad("subject.media_url", "javascript:alert(1)"),
    "media_url too long": _bad("subject.media_url", "https://x.example/" + "a" * 490),
    "deep_link with spaces": _bad("subject.deep_link", "tg://open this"),
    "naive posted_at": _bad("subject.posted_at", "2026-01-31 12:00"),
    "unknown subject field": _bad("subject.views", 10),
}


@pytest.mark.parametrize(("body", "field"), BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_invalid_report_is_refused_field_by_field_and_nothing_is_written(api, body, field):
    if body.get("subject") is None:
        body.pop("subject")
    before = stored()

    response = api.post(REPORTS_URL, body)

    assert response.status_code == 422, response.content
    answer = response.json()
    assert field in {e["field"] for e in answer["errors"]}, answer
    assert all(e["message"] for e in answer["errors"])
    assert stored() == before


@pytest.mark.parametrize(
    ("signal", "field"),
    [
        ({"kind": "classifier", "name": "m", "score": 1.5}, "signals[0].score"),
        ({"kind": "classifier", "name": "m", "score": -0.1}, "signals[0].score"),
        ({"kind": "classifier", "name": "m", "score": "0.5"}, "signals[0].score"),
        ({"kind": "classifier", "name": "m", "score": True}, "signals[0].score"),
        ({"kind": "classifier", "name": "m", "score": "__1e999__"}, "signals[0].score"),
        ({"kind": "vibes", "name": "m", "score": 0.5}, "signals[0].kind"),
        ({"kind": "classifier", "name": "", "score": 0.5}, "signals[0].name"),
        ({"kind": "classifier", "score": 0.5}, "signals[0].name"),
        ({"kind": "classifier", "name": "m", "score": 0.5, "x": 1}, "signals[0].x"),
        ({"kind": "hash_match", "name": "m", "score": 1, "matched_hash": "h" * 129}, None),
    ],
)
def test_invalid_signal_is_refused_with_its_path(api, signal, field):
    # 1e999 is valid JSON that overflows to infinity: it must be a 422, not a crash.
    raw = json.dumps(report_json(signals=[signal])).replace('"__1e999__"', "1e999")

    response = api.post(REPORTS_URL, raw, raw=True)

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {field or "signals[0].matched_hash"}
    assert not Report.objects.exists()


def test_every_kind_of_wrong_value_in_every_field_never_fails_with_a_server_error(api):
    """A sweep: each field set to each kind of wrong JSON value gets 201/200 or a clean 422."""
    values = [None, 0, -1, 1.5, True, "", " ", "x" * 600, [], {}, "\x00", "2026-01-01T00:00"]
    template = report_json(
        flagger_name="F",
        signals=[{"kind": "classifier", "name": "m", "label": "l", "score": 0.5}],
    )
    paths = (
        [(k,) for k in template if k != "subject"]
        + [("subject", k) for k in template["subject"]]
        + [("signals", 0, k) for k in template["signals"][0]]
    )
    for path in paths:
        for value in values:
            body = json.loads(json.dumps(template))
            body["external_id"] = f"sweep-{len(body)}-{'.'.join(map(str, path))}-{value!r}"[:128]
            body["external_id"] = "".join(
                c if "!" <= c <= "~" else "_" for c in body["external_id"]
            )
            target = body
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            before = stored()

            response = api.post(REPORTS_URL, body)

            assert response.status_code in {200, 201, 422}, (path, value, response.content)
            if response.status_code == 422:
                assert stored() == before, (path, value)


@pytest.mark.parametrize(
    "body",
    [[], [report_json()], "a report", 42, None, True],
    ids=["empty list", "list", "string", "number", "null", "true"],
)
def test_json_that_is_not_an_object_is_refused(api, body):
    response = api.post(REPORTS_URL, body)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "", "message": "Must be a JSON object."}]
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"{",
        b"{'external_id': 'x'}",
        b'{"external_id": "x",}',
        b'{"score": NaN}',
        b'{"score": Infinity}',
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"n": ' + b"9" * 5000 + b"}",
    ],
    ids=[
        "empty",
        "blank",
        "truncated",
        "single quotes",
        "trailing comma",
        "NaN",
        "Infinity",
        "not UTF-8",
        "deeply nested",
        "huge integer",
    ],
)
def test_malformed_json_is_a_400_with_a_clear_message(api, raw):
    response = api.post(REPORTS_URL, raw, raw=True)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body")
    assert not Report.objects.exists()


def test_body_that_is_not_declared_as_json_is_a_400(api):
    response = api.post(REPORTS_URL, json.dumps(report_json()), raw=True, content_type="text/plain")

    assert response.status_code == 400
    assert "application/json" in response.json()["detail"]


def test_body_under_the_size_limit_is_accepted_beyond_djangos_form_limit(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # applies to forms, not to the API
    reports = [report_json(subject__text="x" * 15_000) for _ in range(200)]

    response = api.post(REPORTS_URL, {"reports": reports})

    assert response.status_code == 200
    assert Report.objects.count() == 200


def test_body_over_the_size_limit_is_a_413_and_nothing_is_stored(api):
    body = report_json(description="x" * MAX_BODY_BYTES)

    response = api.post(REPORTS_URL, body)

    assert response.status_code == 413
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("envelope", "field"),
    [
        ({"reports": []}, "reports"),
        ({"reports": "all of them"}, "reports"),
        ({"reports": None}, "reports"),
        ({"reports": [report_json()], "dry_run": True}, "dry_run"),
    ],
    ids=["empty", "string", "null", "extra key"],
)
def test_malformed_batch_is_refused_whole(api, envelope, field):
    response = api.post(REPORTS_URL, envelope)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Report.objects.exists()


def test_batch_of_501_is_refused_and_nothing_is_stored(api):
    response = api.post(REPORTS_URL, {"reports": [report_json() for _ in range(501)]})

    assert response.status_code == 422
    assert "501" in response.json()["errors"][0]["message"]
    assert stored() == (0, 0, 0, 0, 0, 0, 0)


def test_batch_of_500_takes_the_same_queries_as_a_batch_of_5(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(INTAKE_QUERIES) as five:
        small = api.post(REPORTS_URL, {"reports": [report_json() for _ in range(5)]})
    with django_assert_max_num_queries(INTAKE_QUERIES) as five_hundred:
        large = api.post(REPORTS_URL, {"reports": [report_json() for _ in range(500)]})

    assert (small.status_code, large.status_code) == (200, 200)
    assert len(large.json()["results"]) == 500
    assert Report.objects.count() == 505
    assert Case.objects.aggregate(n=Count("id"))["n"] == 505
    assert len(five.captured_queries) == len(five_hundred.captured_queries)
