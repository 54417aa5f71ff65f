"""
A moderator's tools in real Chromium: add an internal note (swapped in place), insert a reply
template with its key into the explanation, edit it, submit; the statement has the edited text.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from moderation.models import Case, CaseNote, Category, Decision, Statement
from moderation.services.claims import case_claim
from moderation.services.reply_templates import ReplyTemplateInput, reply_template_create
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"
TEMPLATE_TEXT = "Your message was removed because it is unsolicited bulk advertising."


@pytest.fixture
def claimed_case(transactional_db):
    mina = services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    senior = services.user_create(username="sam", password=PASSWORD, roles=[Role.SENIOR_MODERATOR])
    reply_template_create(
        actor=senior,
        data=ReplyTemplateInput(
            title="Spam: bulk advertising",
            category=Category.objects.get(code="spam"),
            language="en",
            field="explanation",
            body=TEMPLATE_TEXT,
            shortcut=1,
        ),
    )
    case = make_case(category="spam", subject__text="Buy followers now, cheap!!!")
    case_claim(case_id=case.pk, actor=mina)
    return case


def test_note_then_template_key_then_edited_statement(claimed_case, live_server, page: Page):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/moderation/cases/{claimed_case.pk}/")

    notes = page.locator("#case-notes")
    expect(notes).to_contain_text("No notes yet.")
    notes.get_by_label("Internal note").fill("Same text as in three other chats today.")
    notes.get_by_role("button", name="Add note").click()
    expect(page.locator("#case-notes .note")).to_have_text(
        [re.compile("Same text as in three other chats today.")]
    )
    expect(page.locator("#case-notes")).not_to_contain_text("No notes yet.")
    assert CaseNote.objects.get().text == "Same text as in three other chats today."
    assert page.url.endswith(f"/moderation/cases/{claimed_case.pk}/")  # swapped, not reloaded

    explanation = page.get_by_label("Explanation for the user")
    explanation.fill("Hello.")
    explanation.press("Alt+1")
    expect(explanation).to_have_value(f"Hello.\n\n{TEMPLATE_TEXT}")
    explanation.press("End")
    explanation.type(" You may appeal.")
    edited = f"Hello.\n\n{TEMPLATE_TEXT} You may appeal."
    expect(explanation).to_have_value(edited)

    page.get_by_label("Remove content").check()
    page.get_by_role("button", name="Submit & next").click()

    expect(page).to_have_url(f"{live_server.url}/moderation/")  # the queue is empty now
    expect(page.get_by_text("The queue is empty. Well done.")).to_be_visible()
    claimed_case.refresh_from_db()
    assert claimed_case.status == Case.Status.RESOLVED
    decision = Decision.objects.get(case=claimed_case)
    assert decision.explanation == edited
    payload = Statement.objects.get(decision=decision).payload
    explained = payload.get("incompatible_content_explanation") or payload.get(
        "illegal_content_explanation"
    )
    assert explained == edited
    assert "three other chats" not in str(payload)
