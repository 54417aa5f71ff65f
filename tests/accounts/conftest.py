"""Fixtures of the account tests: two administrators and an account with no role yet."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.roles import Role


@pytest.fixture
def admin1(make_user) -> User:
    return make_user(Role.ADMINISTRATOR, username="mallory")


@pytest.fixture
def admin2(make_user) -> User:
    return make_user(Role.ADMINISTRATOR, username="trent")


@pytest.fixture
def newcomer(make_user) -> User:
    return make_user(username="newcomer")
