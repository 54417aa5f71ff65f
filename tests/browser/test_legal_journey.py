"""
The disclosure path in real Chromium with the demo roles: a legal officer prepares and
freezes the scope, two approvers approve (an emergency needs two), the legal officer
releases after re-authenticating, and the auditor finds the release in the trail.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.models import User
from audit.models import AuditEvent
from disclosures.checklist import CHECKLIST
from disclosures.models import LegalRequest
from disclosures.services import review
from tests.browser.helpers import age_step_up, code_for, second_step
from tests.disclosures.factories import (
    add_contact,
    give_subscriber_data,
    make_account,
    make_request,
)
from tests.moderation.factories import make_case

DEMO_PASSWORD = "tsdash-demo-2026"


@pytest.fixture
def emergency_request(transactional_db, settings):
    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("seed_demo", verbosity=0)
    legal, legal2 = User.objects.get(username="legal"), User.objects.get(username="legal2")
    account = make_account()
    from datetime import UTC, datetime

    give_subscriber_data(
        account,
        phone="+33612345678",
        ips=[("203.0.113.9", 50123, datetime(2026, 10, 10, 8, 30, tzinfo=UTC))],
    )
    request = make_request(
        created_by=legal, accounts=[account], emergency=True, instrument="us_emergency"
    )
    contact = add_contact(request.authority, legal)
    request.linked_cases.add(make_case(subject__author_id=account.platform_id))
    review.request_start_review(request_id=request.pk, actor=legal)
    for item in CHECKLIST:
        if item.automatic:  # B-policy, B8 and B9 are computed by the system
            continue
        request.refresh_from_db()
        review.check_record(
            request_id=request.pk,
            actor=legal2 if item.code == "A6" else legal,
            code=item.code,
            result="passed",
            evidence=f"{item.code} verified for the browser test.",
            expected_version=request.version,
            contact_id=contact.pk if item.code == "A3" else None,
        )
    return request


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_step(page, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _confirm_password(page: Page, username: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm it is you")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("Authenticator code").fill(code_for(username))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(lambda url: "/accounts/confirm/" not in url)


def test_prepare_approve_twice_release_and_audit(emergency_request, live_server, page: Page):
    request = emergency_request
    review_url = f"{live_server.url}/legal/requests/{request.pk}/review/"

    _login(page, live_server.url, "legal")
    page.goto(review_url)
    # Each target's terms violation and the records are computed, shown per target.
    expect(page.locator("ul.target-links")).to_contain_text("violation decided")
    # Freezing is irreversible: without the confirmation nothing happens (htmx swaps the
    # panel in place with the error).
    page.get_by_role("button", name="Freeze the scope and submit for approval").click()
    expect(page.locator("#scope-panel")).to_contain_text("Tick the box to confirm")
    page.locator("#id_submit-confirm").check()
    page.get_by_role("button", name="Freeze the scope and submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("Scope frozen and submitted for approval.")
    expect(page.locator("body")).to_contain_text("Pending approval")
    expect(page.locator("table.scope-records")).to_contain_text("1 IP record, 1 phone number")

    for approver in ("approver", "approver2"):
        _login(page, live_server.url, approver)
        age_step_up(page)  # signed in a while ago: approving asks again
        page.goto(review_url)
        page.get_by_role("button", name="Approve this scope").click()
        _confirm_password(page, approver)
        page.get_by_role("button", name="Approve this scope").click()
        expect(page.get_by_role("status")).to_contain_text("Approval recorded.")
    request.refresh_from_db()
    assert request.status == LegalRequest.Status.APPROVED

    _login(page, live_server.url, "legal")
    age_step_up(page)
    page.goto(f"{live_server.url}/legal/requests/{request.pk}/release/")
    page.get_by_role("button", name="Build the package").click()
    expect(page.get_by_role("status")).to_contain_text("Package built; its QA passed.")
    expect(page.locator("body")).to_contain_text("QA passed")
    page.get_by_text("Confirm your password to release").click()
    _confirm_password(page, "legal")
    expect(page.locator("form.release-form")).to_contain_text("cannot be taken back")
    page.locator("#id_release-confirm").check()
    page.get_by_role("button", name="Release to the authority").click()
    expect(page.get_by_role("status")).to_contain_text("Released.")
    request.refresh_from_db()
    assert request.status == LegalRequest.Status.RELEASED
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the package").click()
    assert download.value.suggested_filename.endswith(".zip")

    _login(page, live_server.url, "auditor")
    page.goto(
        f"{live_server.url}/audit/events/?action=request.released"
        f"&target_type=disclosures.legalrequest&target_id={request.pk}"
    )
    rows = page.locator("#event-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("legal")
    released = AuditEvent.objects.get(action="request.released", target_id=str(request.pk))
    assert released.data["manifest_sha256"]
