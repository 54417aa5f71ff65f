from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import Page, expect

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures in that thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Timeouts that hold on a 2-core machine running other work (a full test run, a build): the
# journeys wait for what the user sees, and a slow page is not a failure.
SLOW_MACHINE_TIMEOUT_MS = 60_000
expect.set_options(timeout=SLOW_MACHINE_TIMEOUT_MS)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(
                    pytest.mark.skip(reason="needs Chromium (apt-get install chromium; CI has it)")
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _slow_machine_timeouts(page: Page) -> None:
    page.set_default_timeout(SLOW_MACHINE_TIMEOUT_MS)
    page.set_default_navigation_timeout(SLOW_MACHINE_TIMEOUT_MS)


# The password of the accounts the journeys create (PASSWORD in each journey module).
BROWSER_PASSWORD = "browser-pass-123"


@pytest.fixture
def senior_login(transactional_db, live_server, page: Page):
    """A senior moderator ("sofia") signed in on the live server; the journey's page."""
    from accounts import services
    from accounts.roles import Role

    services.user_create(username="sofia", password=BROWSER_PASSWORD, roles=[Role.SENIOR_MODERATOR])
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("sofia")
    page.get_by_label("Password").fill(BROWSER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    return page
