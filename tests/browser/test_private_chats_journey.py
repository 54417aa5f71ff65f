"""
A moderator in real Chromium on a report from an end-to-end encrypted secret chat: the evidence
is badged as forwarded by the reporter, the page says the platform holds no copy, the decision
form offers no content action, and an account measure goes through to the statement's facts.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from moderation.models import Case, Decision, Statement
from moderation.services.claims import case_claim
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"


@pytest.fixture
def secret_chat_case(transactional_db):
    mina = services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    case = make_case(
        category="harassment",
        subject__type="account",
        subject__chat_kind="secret",
        subject__text="[screenshot] You will regret talking to the police. I know where you live.",
    )
    case_claim(case_id=case.pk, actor=mina)
    return case


def test_a_secret_chat_report_is_badged_and_only_the_account_can_be_acted_on(
    secret_chat_case, live_server, page: Page
):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/moderation/cases/{secret_chat_case.pk}/")

    badge = page.locator(".evidence-provenance .badge")
    expect(badge).to_contain_text("Reporter-supplied: forwarded from an end-to-end encrypted")
    expect(page.locator(".notice.secret-chat")).to_contain_text("holds no copy")
    expect(page.get_by_label("Remove content")).to_have_count(0)
    expect(page.get_by_label("Remove from search results")).to_have_count(0)

    page.get_by_label("Terminate the account").check()
    page.get_by_role("button", name="Submit & next").click()

    expect(page).to_have_url(f"{live_server.url}/moderation/")
    secret_chat_case.refresh_from_db()
    assert secret_chat_case.status == Case.Status.RESOLVED
    decision = Decision.objects.get(case=secret_chat_case)
    assert decision.actions == ["terminate_account"]
    facts = Statement.objects.get(decision=decision).payload["decision_facts"]
    assert facts.endswith(
        "The content was forwarded by the reporter from an end-to-end encrypted secret chat; "
        "the platform could not observe it itself."
    )
