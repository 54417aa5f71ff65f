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
