"""A senior moderator in real Chromium: a private group's case, its messages, one decision."""

from __future__ import annotations

from playwright.sync_api import expect

from audit.models import AuditEvent
from moderation.models import Case, Decision
from tests.moderation.rollup_helpers import group_case, send


def test_decide_a_private_group_at_the_group_level(senior_login, live_server, settings):
    settings.ROLLUP_MIN_CASES = 3
    page = senior_login
    ids = send("journey-chat", 3, subject__text="Selling stolen card numbers here")
    group = group_case("journey-chat")
    assert group is not None

    page.goto(f"{live_server.url}/moderation/")
    row = page.locator(f'tr[data-href="/moderation/cases/{group.pk}/"]')
    expect(row).to_contain_text("3 message cases")
    expect(page.locator(f'tr[data-href="/moderation/cases/{ids[0]}/"]')).to_have_count(0)
    row.get_by_role("link", name=f"#{group.pk}").click()

    panel = page.locator("#rollup")
    expect(panel.get_by_role("heading")).to_have_text("3 message cases rolled up")
    expect(panel.locator("[data-rolled-up]")).to_have_count(3)
    expect(panel).to_contain_text("Selling stolen card numbers here")
    page.get_by_role("button", name="Claim").click()
    page.get_by_label("Terminate the account").check()
    page.get_by_role("button", name="Submit", exact=True).click()
    # Back in the queue: the group case and its messages are gone from it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    expect(page.locator(f'tr[data-href="/moderation/cases/{group.pk}/"]')).to_have_count(0)

    page.goto(f"{live_server.url}/moderation/cases/{ids[0]}/")
    expect(page.locator("#rollup-parent")).to_contain_text(f"Resolved with group case #{group.pk}")
    page.locator("#rollup-parent").get_by_role("link", name=f"#{group.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resolved")
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"resolved"}
    assert not Decision.objects.filter(case_id__in=ids).exists()
    assert AuditEvent.objects.filter(action="case.resolved_with_group").count() == 3
