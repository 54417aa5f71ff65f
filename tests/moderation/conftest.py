from __future__ import annotations

import pytest

from accounts.roles import Role


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior1")


@pytest.fixture
def other_moderator(make_user):
    return make_user(Role.MODERATOR, username="mod2")


@pytest.fixture
def senior_client(senior, client_for):
    return client_for(senior)
