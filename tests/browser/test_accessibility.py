"""
axe-core on the main screens of every role, on the demo data, in real Chromium: zero serious or
critical WCAG 2.1 A/AA violations (colour contrast included), and a visible focus ring.

One test walks every role, so the demo is seeded once (about a minute) rather than per screen.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from disclosures.models import LegalRequest
from moderation.models import Appeal, Case
from tests.browser.axe import axe_source, blocking_violations, describe
from tests.browser.helpers import second_step

DEMO_PASSWORD = "tsdash-demo-2026"


@pytest.fixture
def demo(transactional_db, settings):
    axe_source()  # skip at once, with the reason, when axe-core is not installed
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("seed_demo", verbosity=0)


def sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/verify/" in page.url:
        second_step(page, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def screens(username: str) -> list[str]:
    case = Case.objects.filter(status=Case.Status.OPEN).order_by("-priority").first()
    request = LegalRequest.objects.order_by("pk").first()
    appeal = Appeal.objects.order_by("pk").first()
    assert case, "the demo has open cases"
    assert request, "the demo has legal requests"
    assert appeal, "the demo has appeals"
    per_role = {
        "moderator": [
            reverse("dashboard"),
            reverse("moderation:home"),
            reverse("moderation:case", args=[case.pk]),
        ],
        "senior": [
            reverse("dashboard"),
            reverse("moderation:appeals"),
            reverse("moderation:appeal", args=[appeal.pk]),
            reverse("moderation:bulk_jobs"),
            reverse("search_policy:home"),
            reverse("signals:detectors"),
            reverse("moderation:transparency"),
        ],
        "legal": [
            reverse("dashboard"),
            reverse("disclosures:home"),
            reverse("disclosures:request", args=[request.pk]),
        ],
        "auditor": [reverse("dashboard"), reverse("audit:events"), reverse("audit:integrity")],
    }
    return per_role[username]


def test_no_serious_or_critical_violation_on_the_main_screens(demo, live_server, page: Page):
    failures = []
    for public in (reverse("accounts:login"), reverse("transparency:moderation")):
        page.goto(live_server.url + public)
        if violations := blocking_violations(page):
            failures.append(("anonymous", public, describe(violations)))
    for username in ("moderator", "senior", "legal", "auditor"):
        sign_in(page, live_server.url, username)
        for url in screens(username):
            page.goto(live_server.url + url)
            violations = blocking_violations(page)
            if violations:
                failures.append((username, url, describe(violations)))
    assert not failures, "\n\n".join(f"{who} {url}:\n{text}" for who, url, text in failures)


def test_keyboard_focus_is_always_visible(demo, live_server, page: Page):
    sign_in(page, live_server.url, "moderator")
    page.goto(live_server.url + reverse("moderation:home"))
    for _ in range(12):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return 'body';
                const style = getComputedStyle(el);
                const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
                return ring || style.boxShadow !== 'none' ? 'visible' : el.outerHTML.slice(0, 120);
            }"""
        )
        assert outline in ("visible", "body"), f"focus without a visible ring: {outline}"
