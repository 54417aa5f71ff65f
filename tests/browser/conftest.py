from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures in that thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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


def code_for(username: str) -> str:
    """A code the user's authenticator shows now that the server has not accepted yet."""
    import time

    from accounts.models import User
    from tests.utils import current_code

    user = User.objects.get(username=username)
    for _ in range(40):
        try:
            return current_code(user)
        except AssertionError:  # every step around now was used: the next one comes soon
            time.sleep(1)
    raise AssertionError(f"no fresh code for {username}")


def second_step(page, username: str) -> None:  # type: ignore[no-untyped-def]
    """Answer the "Two-step verification" page that follows the password for some roles."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    page.get_by_label("Authenticator code").fill(code_for(username))
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()


def age_step_up(page) -> None:  # type: ignore[no-untyped-def]
    """Make the browser's last confirmation older than five minutes, as if time had passed."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import reauth

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    session[reauth.SESSION_KEY] = session[reauth.SESSION_KEY] - settings.REAUTH_MAX_AGE_SECONDS - 1
    session.save()
