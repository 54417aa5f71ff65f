from __future__ import annotations

import pytest

from accounts.roles import Role


@pytest.fixture
def legal(make_user):
    return make_user(Role.LEGAL_OFFICER, username="louise")


@pytest.fixture
def approver(make_user):
    return make_user(Role.LEGAL_APPROVER, username="anton")


@pytest.fixture
def approver2(make_user):
    return make_user(Role.LEGAL_APPROVER, username="ines")


@pytest.fixture
def legal_client(legal, client_for):
    return client_for(legal)


@pytest.fixture
def approver_client(approver, client_for):
    return client_for(approver)
