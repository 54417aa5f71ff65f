from __future__ import annotations

import pytest

from core import errors
from disclosures import exceptions as disclosure_errors
from moderation import exceptions as moderation_errors


@pytest.mark.parametrize(
    ("app_error", "shared"),
    [
        (moderation_errors.ModerationError, errors.DomainError),
        (moderation_errors.InvalidTransition, errors.InvalidTransition),
        (moderation_errors.NotAllowed, errors.NotPermitted),
        (moderation_errors.InvalidDecision, errors.InvalidInput),
        (disclosure_errors.DisclosureError, errors.DomainError),
        (disclosure_errors.InvalidTransition, errors.InvalidTransition),
        (disclosure_errors.NotPermitted, errors.NotPermitted),
        (disclosure_errors.InvalidRequest, errors.InvalidInput),
    ],
)
def test_each_app_error_is_the_shared_one(app_error, shared):
    assert issubclass(app_error, shared)


def test_each_app_keeps_its_own_messages():
    assert str(moderation_errors.InvalidTransition(current="open", requested="x")) == (
        "A case that is open cannot become x."
    )
    assert str(disclosure_errors.InvalidRequest({"a": ["b"]})) == "The request is not valid: a: b"
    assert moderation_errors.InvalidDecision(["x"]).errors == {"__all__": ["x"]}
    assert not issubclass(moderation_errors.NotAllowed, disclosure_errors.DisclosureError)
