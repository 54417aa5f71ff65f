"""A senior moderator blocks a search term and removes it again, in real Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from search_policy.models import BlockedTerm, PolicyChange


def test_block_a_term_then_remove_it(senior_login, live_server):
    page = senior_login
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search policy").click()
    page.get_by_role("link", name="Block a term").click()

    page.get_by_label("Term", exact=True).fill("c0ntraband")
    page.get_by_label("Match").select_option("exact")
    page.get_by_label("Category").select_option("STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS")
    page.get_by_label("Reason").fill("Returns illegal offers.")
    page.get_by_role("button", name="Save").click()

    row = page.locator("#terms tbody tr").first
    expect(row).to_contain_text("contraband")
    term = BlockedTerm.objects.get()

    row.get_by_label("Why remove it").fill("Too many false positives.")
    row.get_by_role("button", name="Remove").click()

    expect(page.locator("#terms tbody")).to_contain_text("No terms.")
    term.refresh_from_db()
    assert not term.active
    assert list(PolicyChange.objects.order_by("version").values_list("op", flat=True)) == [
        "add",
        "remove",
    ]
