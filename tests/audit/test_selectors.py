from __future__ import annotations

import pytest

import audit
from audit.selectors import events_for
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db


def _event(action: str, case_id: int):
    return audit.record(action=action, target_type="moderation.case", target_id=case_id)


def test_events_for_returns_the_targets_events_oldest_first():
    case = make_case()
    first = _event("case.claimed", case.pk)
    _event("case.claimed", case.pk + 1000)
    second = _event("case.released", case.pk)

    assert list(events_for(case)) == [first, second]
    assert list(events_for(target_type="moderation.case", target_id=case.pk)) == [first, second]


def test_events_for_narrows_by_action_and_limits():
    case = make_case()
    claimed = _event("case.claimed", case.pk)
    released = _event("case.released", case.pk)
    _event("case.claimed", case.pk)

    assert list(events_for(case, actions=["case.released"])) == [released]
    assert list(events_for(case, limit=1)) == [claimed]
    assert events_for(case, actions=["case.claimed"]).count() == 2


def test_events_for_needs_a_target():
    with pytest.raises(ValueError, match="needs a target"):
        events_for(target_type="moderation.case")
