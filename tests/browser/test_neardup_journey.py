"""A senior moderator decides once for a group of near-identical spam, in real Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from moderation.models import Case, Decision, Statement
from signals.models import DuplicateMember
from tests.moderation.factories import make_case

SPAM = (
    "Your parcel is held at the depot, pay the 2 EUR customs fee at https://post.example/{} "
    "within 24 hours or it goes back to the sender."
)


def test_decide_once_for_a_text_group(senior_login, live_server):
    page = senior_login
    # Intake publishes the grouping task after commit; Celery runs it eagerly in tests.
    copies = [
        make_case(
            category="spam",
            subject__text=greeting + SPAM.format(link),
            subject__chat_id=f"-100{900 + n}",
        )
        for n, (greeting, link) in enumerate([("", "a1"), ("Hi! ", "b2"), ("Hello all, ", "c3")])
    ]
    unrelated = make_case(category="spam", subject__text="Buy followers now, cheap and fast!")
    assert DuplicateMember.objects.filter(case__in=copies).count() == 3

    page.goto(f"{live_server.url}/moderation/cases/{copies[0].pk}/")
    panel = page.locator("#near-duplicates")
    expect(panel).to_contain_text("3 cases")
    expect(panel).to_contain_text("3 open")
    expect(panel.get_by_role("link", name=f"#{copies[1].pk}")).to_be_visible()
    panel.get_by_role("link", name="Decide for the group").click()

    expect(page.get_by_role("button", name="Decide 3 cases")).to_be_visible()
    page.get_by_label("Remove content").check()
    page.get_by_label("Ground", exact=True).select_option("terms")
    page.get_by_label("Terms clause").fill("Terms of Service §7.2 (spam)")
    page.get_by_label("DSA category").select_option("STATEMENT_CATEGORY_OTHER_VIOLATION_TC")
    page.get_by_label("Facts and circumstances").fill(
        "The same scam message, posted in many chats."
    )
    page.get_by_role("button", name="Decide 3 cases").click()

    expect(page.locator("#bulk-progress")).to_contain_text("3 of 3")
    for case in copies:
        assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED
        decision = Decision.objects.get(case=case)
        assert Statement.objects.filter(decision=decision).exists()
    assert Case.objects.get(pk=unrelated.pk).status == Case.Status.OPEN
