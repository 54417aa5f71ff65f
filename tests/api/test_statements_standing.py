"""The statements feed and export say which statements still stand after an appeal."""

from __future__ import annotations

import itertools
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.roles import Role
from moderation.api.schemas import StatementStandingOut
from moderation.dsa import validate_statement
from moderation.models import Decision, Statement
from moderation.services import claims, decisions
from moderation.services.appeals import AppealInput, appeal_decide, appeal_submit
from tests.api.conftest import STATEMENTS_URL
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db

_appeals = itertools.count(1)


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-standing")


def decide(moderator) -> Decision:
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    return decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())


def answer_appeal(decision: Decision, senior, outcome: str) -> Decision | None:
    """Appeal `decision` as its author and answer it; returns the replacing decision, if any."""
    appeal, _ = appeal_submit(
        item=AppealInput(
            external_id=f"standing-appeal-{next(_appeals)}",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=decision.case.subject.author.platform_id,
            reason="It was not spam.",
            submitted_at=timezone.now(),
        )
    )
    replacement = violation(actions=("remove_from_search",)) if outcome == "modified" else None
    appeal_decide(
        appeal_id=appeal.pk,
        actor=senior,
        outcome=outcome,
        note="Reviewed.",
        new_decision=replacement,
    )
    return Decision.objects.filter(supersedes=decision).first()


def feed(api) -> dict:
    """The whole feed, every page merged."""
    statements, standing, cursor = [], {}, None
    while True:
        answer = api.get(STATEMENTS_URL, {"cursor": cursor} if cursor else {}).json()
        statements += answer["statements"]
        standing |= answer["standing"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return {"statements": statements, "standing": standing}


def test_feed_marks_reversed_and_replaced_statements_and_names_the_replacement(
    api, moderator, senior
):
    kept = decide(moderator)
    reversed_ = decide(moderator)
    replaced = decide(moderator)
    answer_appeal(reversed_, senior, "reversed")
    replacement = answer_appeal(replaced, senior, "modified")
    assert replacement is not None

    answer = feed(api)

    puid = {d: f"tsd-{d.uuid}" for d in (kept, reversed_, replaced, replacement)}
    assert [s["puid"] for s in answer["statements"]] == [
        puid[kept],
        puid[reversed_],
        puid[replaced],
        puid[replacement],
    ]
    assert answer["standing"] == {
        puid[kept]: {
            "stands": True,
            "status": "in_force",
            "superseded_by": None,
            "supersedes": None,
        },
        puid[reversed_]: {
            "stands": False,
            "status": "reversed",
            "superseded_by": None,
            "supersedes": None,
        },
        puid[replaced]: {
            "stands": False,
            "status": "superseded",
            "superseded_by": puid[replacement],
            "supersedes": None,
        },
        puid[replacement]: {
            "stands": True,
            "status": "in_force",
            "superseded_by": None,
            "supersedes": puid[replaced],
        },
    }
    # The statements stay in the database's shape: the standing is beside them, not inside.
    assert all(validate_statement(s) == [] for s in answer["statements"])


def test_export_marks_reversed_and_replaced_statements(moderator, senior, capsys):
    reversed_ = decide(moderator)
    replaced = decide(moderator)
    answer_appeal(reversed_, senior, "reversed")
    replacement = answer_appeal(replaced, senior, "modified")
    assert replacement is not None

    call_command("export_statements")

    (line,) = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    standing = document["standing"]
    assert set(standing) == {s["puid"] for s in document["statements"]}
    assert standing[f"tsd-{reversed_.uuid}"]["status"] == "reversed"
    assert standing[f"tsd-{reversed_.uuid}"]["stands"] is False
    assert standing[f"tsd-{replaced.uuid}"]["superseded_by"] == f"tsd-{replacement.uuid}"
    assert standing[f"tsd-{replacement.uuid}"]["stands"] is True


def test_export_to_files_carries_the_standing(moderator, senior, tmp_path):
    replaced = decide(moderator)
    replacement = answer_appeal(replaced, senior, "modified")

    call_command("export_statements", "--output", str(tmp_path))

    (path,) = tmp_path.iterdir()
    standing = json.loads(path.read_text())["standing"]
    assert standing[f"tsd-{replaced.uuid}"] == {
        "stands": False,
        "status": "superseded",
        "superseded_by": f"tsd-{replacement.uuid}",
        "supersedes": None,
    }


def test_feed_query_count_does_not_grow_with_replaced_statements(
    api, moderator, senior, django_assert_num_queries
):
    def add_replaced(n: int) -> None:
        for _ in range(n):
            answer_appeal(decide(moderator), senior, "modified")
            answer_appeal(decide(moderator), senior, "reversed")

    add_replaced(1)
    with django_assert_num_queries(3) as small:  # token, its last-used stamp, one page
        first = api.get(STATEMENTS_URL)
    add_replaced(5)
    with django_assert_num_queries(len(small.captured_queries)):
        second = api.get(STATEMENTS_URL)

    assert len(first.json()["standing"]) == 3
    assert len(second.json()["standing"]) == 18
    assert Statement.objects.count() == 18


def test_standing_status_in_the_schema_is_the_decisions_status():
    status = StatementStandingOut.model_json_schema()["properties"]["status"]

    assert set(status["enum"]) == set(Decision.Status.values)


def test_openapi_describes_the_standing(client):
    schema = client.get("/api/v1/openapi.json").json()

    page = schema["components"]["schemas"]["StatementsPageOut"]
    assert "standing" in page["required"]
    standing = page["properties"]["standing"]["additionalProperties"]["$ref"]
    assert standing.endswith("/StatementStandingOut")
    properties = schema["components"]["schemas"]["StatementStandingOut"]["properties"]
    assert set(properties) == {"stands", "status", "superseded_by", "supersedes"}


def test_a_client_reading_from_since_learns_of_earlier_statements_withdrawn_since(
    api, moderator, senior, django_assert_max_num_queries
):
    from datetime import timedelta

    kept = decide(moderator)
    reversed_ = decide(moderator)
    replaced = decide(moderator)
    since = timezone.now() + timedelta(seconds=1)
    Statement.objects.update(created_at=since - timedelta(hours=1))  # read before `since`
    answer_appeal(reversed_, senior, "reversed")
    replacement = answer_appeal(replaced, senior, "modified")
    from moderation.models import Appeal

    Appeal.objects.update(decided_at=since + timedelta(minutes=5))

    with django_assert_max_num_queries(5):
        first = api.get(STATEMENTS_URL, {"since": since.isoformat(), "limit": 1}).json()

    assert set(first["withdrawn"]) == {f"tsd-{reversed_.uuid}", f"tsd-{replaced.uuid}"}
    assert f"tsd-{kept.uuid}" not in first["withdrawn"]
    assert first["withdrawn"][f"tsd-{reversed_.uuid}"]["status"] == "reversed"
    assert first["withdrawn"][f"tsd-{replaced.uuid}"]["superseded_by"] == f"tsd-{replacement.uuid}"
    assert first["withdrawn_truncated"] is False
    if first["next_cursor"]:  # later pages do not repeat it
        later = api.get(STATEMENTS_URL, {"cursor": first["next_cursor"]}).json()
        assert later["withdrawn"] == {}
    # An appeal decided before `since` was already visible to this client: not repeated.
    Appeal.objects.update(decided_at=since - timedelta(minutes=5))
    again = api.get(STATEMENTS_URL, {"since": since.isoformat()}).json()
    assert again["withdrawn"] == {}


def test_the_withdrawn_list_is_bounded(moderator, senior):
    from datetime import timedelta

    from moderation.selectors.statements import statements_withdrawn_since

    first, second = decide(moderator), decide(moderator)
    since = timezone.now() + timedelta(seconds=1)
    Statement.objects.update(created_at=since - timedelta(hours=1))
    answer_appeal(first, senior, "reversed")
    answer_appeal(second, senior, "reversed")
    from moderation.models import Appeal

    Appeal.objects.update(decided_at=since + timedelta(minutes=1))

    listed, truncated = statements_withdrawn_since(since=since, limit=1)

    assert len(listed) == 1
    assert truncated is True
