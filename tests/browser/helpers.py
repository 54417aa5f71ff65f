"""Steps the browser journeys share: the second sign-in step, confirmation, ageing a step-up."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import Page, expect

from accounts import reauth
from accounts.models import User
from tests.utils import current_code


def code_for(username: str) -> str:
    """A code the user's authenticator shows now that the server has not accepted yet."""
    user = User.objects.get(username=username)
    for _ in range(40):
        try:
            return current_code(user)
        except AssertionError:  # every step around now was used: the next one comes soon
            time.sleep(1)
    raise AssertionError(f"no fresh code for {username}")


def second_step(page: Page, username: str) -> None:
    """
    Answer the "Two-step verification" page that follows the password for some roles.

    Returns once the browser has left that page, so the caller's next `goto` cannot cut the
    verification short.
    """
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    page.get_by_label("Authenticator code").fill(code_for(username))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/verify/" not in url)


def age_step_up(page: Page) -> None:
    """Make the browser's last confirmation older than five minutes, as if time had passed."""
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    session[reauth.SESSION_KEY] = session[reauth.SESSION_KEY] - settings.REAUTH_MAX_AGE_SECONDS - 1
    session.save()


def nav_open(page: Page, name: str) -> None:
    """Follow a top-bar entry by its label, opening the menu that holds it first if any."""
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.locator("details").filter(has=page.locator(f'a:text-is("{name}")'))
    if menu.count():
        menu.locator("summary").click()
    nav.get_by_role("link", name=name, exact=True).click()
