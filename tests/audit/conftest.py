from __future__ import annotations

import pytest

from audit import actions

# Made-up actions the audit tests record to exercise the trail itself; no app records them,
# so they are registered for these tests only.
TEST_ACTIONS = {
    "case.resolved": "Case resolved (test)",
    "case.scored": "Case scored (test)",
    "case.viewed": "Case viewed (test)",
    "request.closed": "Request closed (test)",
    "request.exported": "Request exported (test)",
    "request.viewed": "Request viewed (test)",
    "system.tick": "System tick (test)",
}


@pytest.fixture(autouse=True)
def test_actions_registered(monkeypatch):
    for code, label in TEST_ACTIONS.items():
        monkeypatch.setitem(actions._labels, code, label)
