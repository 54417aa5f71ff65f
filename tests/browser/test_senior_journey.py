"""A senior moderator's journey in real Chromium: bulk-decide a flood, answer an appeal."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.roles import Role
from moderation.models import Appeal, Case, Decision
from moderation.services import claims, decisions
from moderation.services.appeals import AppealInput, appeal_submit
from tests.moderation.factories import make_case, violation

PASSWORD = "browser-pass-123"


def test_bulk_decide_selected_cases(senior_login, live_server):
    page = senior_login
    flood = [make_case(category="spam", subject__text=f"Buy followers now {i}") for i in range(3)]
    page.goto(live_server.url + "/moderation/?status=open")

    for case in flood[:2]:
        page.get_by_label(f"Select case {case.pk}").check()
    page.get_by_role("button", name="Bulk decide selected").click()

    expect(page.get_by_role("button", name="Decide 2 cases")).to_be_visible()
    page.get_by_label("Remove content").check()
    page.get_by_label("Ground", exact=True).select_option("terms")
    page.get_by_label("Terms clause").fill("Terms of Service §7.2 (spam)")
    page.get_by_label("DSA category").select_option("STATEMENT_CATEGORY_OTHER_VIOLATION_TC")
    page.get_by_label("Facts and circumstances").fill("Unsolicited bulk advertising, same text.")
    page.get_by_role("button", name="Decide 2 cases").click()

    expect(page.locator("#bulk-progress")).to_contain_text("2 of 2")
    statuses = {c.pk: Case.objects.get(pk=c.pk).status for c in flood}
    assert statuses == {flood[0].pk: "resolved", flood[1].pk: "resolved", flood[2].pk: "open"}
    assert Decision.objects.filter(origin="bulk").count() == 2


def test_answer_an_appeal_by_reversing(senior_login, live_server):
    page = senior_login
    moderator = services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    case = make_case(category="harassment")
    claims.case_claim(case_id=case.pk, actor=moderator)
    decision = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    appeal, _ = appeal_submit(
        item=AppealInput(
            external_id="appeal-1",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=case.subject.author.platform_id,
            reason="It was a quote, not my words.",
            submitted_at=timezone.now(),
        )
    )

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Appeals").click()
    page.get_by_role("link", name=f"#{appeal.pk}", exact=True).click()
    expect(page.get_by_text("It was a quote, not my words.")).to_be_visible()
    page.get_by_label("Reverse", exact=False).first.check()
    page.get_by_label("Reasons for the outcome (sent to the appellant)").fill(
        "The context shows a quotation."
    )
    page.get_by_role("button", name="Record the outcome").click()

    expect(page.locator("#appeal-outcome")).to_contain_text("The context shows a quotation.")
    appeal.refresh_from_db()
    decision.refresh_from_db()
    assert appeal.status == Appeal.Status.REVERSED
    assert decision.status == Decision.Status.REVERSED
