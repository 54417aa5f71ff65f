from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from moderation.dsa import validate_statement
from moderation.models import Decision, Statement
from moderation.selectors.statements import StatementCursor, statements_page
from moderation.services import claims, decisions
from tests.api.conftest import STATEMENTS_URL
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db


def decide(moderator, **case_overrides) -> Statement:
    case = make_case(**case_overrides)
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    return Statement.objects.get(decision=made)


@pytest.fixture
def five_statements(moderator) -> list[Statement]:
    return [
        decide(moderator),
        decide(moderator, category="scams_fraud", source="trusted_flagger", flagger_name="SN"),
        decide(moderator, source="authority"),
        decide(moderator, source="automated", reporter_id=""),
        decide(moderator, category="hate_speech"),
    ]


def test_statements_are_paged_in_creation_order_and_all_valid(api, five_statements):
    pages, cursor = [], None
    while True:
        response = api.get(STATEMENTS_URL, {"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        answer = response.json()
        pages.append(answer["statements"])
        cursor = answer["next_cursor"]
        if cursor is None:
            break

    assert [len(p) for p in pages] == [2, 2, 1]
    puids = [s["puid"] for page in pages for s in page]
    assert puids == [s.puid for s in five_statements]
    for page in pages:
        for statement in page:
            assert validate_statement(statement) == []


def with_copies(original: Statement, n: int) -> None:
    """n more statements, copies of one decided through the services (fast, still valid)."""
    decision = original.decision
    for i in range(n):
        copy = Decision.objects.create(
            case=decision.case, moderator=decision.moderator, actions=decision.actions
        )
        puid = f"tsd-copy-{i}"
        Statement.objects.create(
            decision=copy, puid=puid, payload={**original.payload, "puid": puid}
        )


def test_a_page_holds_at_most_100_statements(api, moderator):
    with_copies(decide(moderator), 100)

    first = api.get(STATEMENTS_URL).json()
    second = api.get(STATEMENTS_URL, {"cursor": first["next_cursor"]}).json()

    assert (len(first["statements"]), len(second["statements"])) == (100, 1)
    assert second["next_cursor"] is None


def test_since_keeps_statements_created_at_or_after_it(api, five_statements):
    third = five_statements[2]
    later = [s.puid for s in five_statements if s.created_at >= third.created_at]

    response = api.get(STATEMENTS_URL, {"since": third.created_at.isoformat()})

    assert [s["puid"] for s in response.json()["statements"]] == later
    future = (third.created_at + timedelta(days=1)).isoformat()
    assert api.get(STATEMENTS_URL, {"since": future}).json() == {
        "statements": [],
        "standing": {},
        "withdrawn": {},
        "withdrawn_truncated": False,
        "next_cursor": None,
    }


def test_statements_page_with_nothing_to_show(api):
    assert api.get(STATEMENTS_URL).json() == {
        "statements": [],
        "standing": {},
        "withdrawn": {},
        "withdrawn_truncated": False,
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
        ({"since": "2026-01-01"}, "since"),
        ({"since": "0001-01-01T00:00:00+00:00"}, "since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # base64 of "[]"
        ({"cursor": "x" * 500}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_query_is_a_422_naming_the_parameter(api, params, field):
    response = api.get(STATEMENTS_URL, params)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "cursor",
    [
        '["2026-01-01T00:00:00", 1]',
        '["2026-01-01T00:00:00+00:00", 0]',
        '["2026-01-01T00:00:00+00:00", true]',
        '["2026-01-01T00:00:00+00:00", 99999999999999999999999]',
        '["0001-01-01T00:00:00+05:00", 1]',
        '{"a": 1}',
        "[1, 2, 3]",
    ],
)
def test_forged_cursors_are_refused(api, cursor):
    encoded = base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")

    response = api.get(STATEMENTS_URL, {"cursor": encoded})

    assert response.status_code == 422


def test_cursor_round_trips(five_statements):
    page, cursor = statements_page(limit=2)

    assert cursor == StatementCursor(page[-1].created_at, page[-1].pk)
    assert StatementCursor.decode(cursor.encode()) == cursor


def test_export_writes_one_file_per_batch_of_at_most_100(moderator, tmp_path, capsys):
    with_copies(decide(moderator), 100)

    call_command("export_statements", "--output", str(tmp_path / "out"))

    files = sorted((tmp_path / "out").iterdir())
    batches = [json.loads(f.read_text()) for f in files]
    assert [len(b["statements"]) for b in batches] == [100, 1]
    assert all(validate_statement(s) == [] for b in batches for s in b["statements"])
    assert "Exported 101 statement(s) in 2 file(s)" in capsys.readouterr().err


def test_export_to_stdout_writes_json_lines_since_a_date(five_statements, capsys):
    since = five_statements[3].created_at.isoformat()

    call_command("export_statements", "--since", since)

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # one batch, then what was withdrawn since (nothing here)
    exported = json.loads(lines[0])["statements"]
    assert [s["puid"] for s in exported] == [s.puid for s in five_statements[3:]]
    assert json.loads(lines[1]) == {"withdrawn": {}, "withdrawn_truncated": False}


@pytest.mark.parametrize("since", ["soon", "2026-01-01T00:00:00"])
def test_export_refuses_a_bad_since(since):
    with pytest.raises(CommandError, match="--since"):
        call_command("export_statements", "--since", since)
