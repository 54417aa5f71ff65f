"""
The legal screens a person reads, in real Chromium: a legal officer records three checks in
one submit and sees the progress move; an approver reads the frozen scope as a summary and
opens the exact JSON behind it.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.models import User
from disclosures import checklist
from disclosures.models import LegalRequest, VerificationCheck
from disclosures.services import review
from tests.browser.helpers import second_step
from tests.disclosures.factories import add_contact, make_request
from tests.disclosures.helpers import with_records

DEMO_PASSWORD = "tsdash-demo-2026"
THREE = ("B1", "B2", "B7")


@pytest.fixture
def request_in_review(transactional_db, settings):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("seed_demo", verbosity=0)
    legal = User.objects.get(username="legal")
    request = with_records(make_request(created_by=legal, status=LegalRequest.Status.IN_REVIEW))
    add_contact(request.authority, legal)
    return request


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_step(page, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _progress(page: Page) -> tuple[int, int]:
    text = page.locator("#checklist-progress-text").inner_text()
    match = re.search(r"(\d+) of (\d+)", text)
    assert match, text
    return int(match.group(1)), int(match.group(2))


def test_three_checks_in_one_submit_then_the_readable_scope(
    request_in_review, live_server, page: Page
):
    request = request_in_review
    review_url = f"{live_server.url}/legal/requests/{request.pk}/review/"

    _login(page, live_server.url, "legal")
    page.goto(review_url)
    done, total = _progress(page)
    for code in THREE:
        page.locator(f"#id_checks-{code}-result").select_option(label="Passed")
        page.locator(f"#id_checks-{code}-evidence").fill(f"{code} checked in the browser")
    page.get_by_role("button", name="Record these checks").click()
    # htmx swaps the checklist in place: the count moves by three, the form stays there.
    expect(page.locator("#checklist .checks-done")).to_have_text("3 checks recorded.")
    expect(page.locator("#checklist-progress-text")).to_have_text(
        f"{done + 3} of {total} mandatory checks passed"
    )
    assert set(
        VerificationCheck.objects.filter(request=request).values_list("code", flat=True)
    ) == set(THREE)

    # The rest of the checks and the freeze, as the service does them.
    legal = User.objects.get(username="legal")
    contact = request.authority.contacts.get()
    for code in checklist.mandatory_codes(emergency=False):
        if checklist.ITEMS[code].automatic or code in THREE:
            continue
        request.refresh_from_db()
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code=code,
            result="passed",
            evidence=f"{code} ok",
            expected_version=request.version,
            contact_id=contact.pk if code == checklist.CALLBACK_CODE else None,
        )
    scope = review.scope_submit(request_id=request.pk, actor=legal)

    _login(page, live_server.url, "approver")
    page.goto(review_url)
    summary = page.locator("dl.scope-summary")
    expect(summary.locator(".scope-recipient")).to_contain_text(request.authority.name)
    expect(summary.locator(".scope-instrument")).to_have_text(request.get_instrument_display())
    expect(summary.locator(".scope-categories")).to_have_text("IP addresses, Phone number")
    expect(summary.locator(".scope-dates")).to_contain_text("2026-10-01 00:00")
    expect(page.locator("table.scope-records")).to_contain_text("1 IP record, 1 phone number")
    raw = page.locator("pre.scope-json")
    expect(raw).to_be_hidden()
    page.get_by_text("The exact scope approved (JSON) and its hash").click()
    expect(raw).to_be_visible()
    expect(raw).to_contain_text('"accounts"')
    expect(page.locator("code.scope-hash")).to_have_text(scope.scope_hash)
