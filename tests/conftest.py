from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections
from django.test import Client, testcases

from accounts import services as account_services
from accounts.models import User
from accounts.roles import Role
from audit.db import guards_suspended
from tests.utils import login_verified

# Transactional tests (live server, concurrency, Celery worker) empty every table after
# each test. The audit table refuses DELETE and TRUNCATE by design, so the test harness,
# as table owner, lifts the guard for the flush and puts it back right after.
_original_fixture_teardown = testcases.TransactionTestCase._fixture_teardown


def _fixture_teardown_with_guards_suspended(self: testcases.TransactionTestCase) -> None:
    with contextlib.ExitStack() as stack:
        for alias in self._databases_names(include_mirrors=False):
            stack.enter_context(guards_suspended(connections[alias]))
        _original_fixture_teardown(self)


testcases.TransactionTestCase._fixture_teardown = _fixture_teardown_with_guards_suspended

_usernames = itertools.count(1)

ROLE_FIXTURES = {
    "moderator": Role.MODERATOR,
    "senior": Role.SENIOR_MODERATOR,
    "legal": Role.LEGAL_OFFICER,
    "approver": Role.LEGAL_APPROVER,
    "auditor": Role.AUDITOR,
    "administrator": Role.ADMINISTRATOR,
}


@pytest.fixture(autouse=True)
def _private_files_per_test(settings, tmp_path):
    """
    Private files (reported media, order documents, packages) in a folder of each test's own:
    no test sees another's files, and none writes under the developer's var/ folder.
    """
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(*roles: Role, username: str | None = None, password: str = "correct-horse-42") -> User:
        name = username or f"user{next(_usernames)}"
        return account_services.user_create(username=name, password=password, roles=roles)

    return make


@pytest.fixture
def moderator(make_user) -> User:
    return make_user(Role.MODERATOR, username="mod")


@pytest.fixture
def auditor(make_user) -> User:
    return make_user(Role.AUDITOR, username="aud")


@pytest.fixture
def administrator(make_user) -> User:
    return make_user(Role.ADMINISTRATOR, username="adm")


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        return login_verified(Client(), user)

    return make


@pytest.fixture
def auditor_client(auditor, client_for) -> Client:
    return client_for(auditor)


@pytest.fixture
def moderator_client(moderator, client_for) -> Client:
    return client_for(moderator)


@pytest.fixture
def objects(make_user) -> dict[str, int]:
    """One object of each kind a URL names; URL keyword -> primary key (the access matrix's)."""
    from tests.security.matrix_urls import make_url_objects

    return make_url_objects(make_user)


class _Platform(BaseHTTPRequestHandler):
    """The platform's webhook endpoint: keeps every JSON body it is sent, answers 200."""

    received: list[dict]
    lock: threading.Lock

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[tuple[str, type[_Platform]]]:
    """A real HTTP receiver for deliveries: its URL and the handler class holding `received`."""
    handler = type("Platform", (_Platform,), {"received": [], "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", handler
    server.shutdown()
