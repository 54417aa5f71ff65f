"""
A senior moderator checks the text model in real Chromium: the Models page, a version's
evaluation with its precision-recall curve, and a scored case with the terms behind its score.
"""

from __future__ import annotations

from playwright.sync_api import expect

from accounts import services
from accounts.roles import Role
from moderation.models import CaseSignal, Category
from signals.classifier.services import model_train
from tests.browser.helpers import nav_open
from tests.moderation.factories import make_case
from tests.signals.classifier.helpers import labelled_cases, spam

PASSWORD = "browser-pass-123"


def test_senior_reads_the_model_evaluation_and_a_scored_case(senior_login, live_server):
    page = senior_login
    moderator = services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    labelled_cases(spam(60), moderator=moderator)
    version = model_train(category_id=Category.objects.get(code="spam").pk).version
    assert version is not None
    case = make_case(category="spam", subject__text="FREE followers click the link now WIN42")
    signal = CaseSignal.objects.get(case=case, detector="model:spam")  # scored after intake

    nav_open(page, "Models")
    expect(page.get_by_role("heading", level=1)).to_have_text("Models")
    page.locator("#models-table").get_by_role("link", name="v1", exact=True).first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Spam model v1")
    expect(page.locator("#pr-curve")).to_be_visible()
    expect(page.locator("#pr-curve polyline.pr-current")).to_have_count(1)
    ap = f"{version.metrics['average_precision']:.3f}"
    expect(page.locator("#metric-ap")).to_have_text(ap)
    expect(page.get_by_role("img", name="Precision against recall for version 1")).to_be_visible()

    page.goto(f"{live_server.url}/moderation/cases/{case.pk}/")
    panel = page.locator("#classifier-panel")
    expect(panel).to_contain_text(str(signal.score))
    expect(panel.get_by_role("link", name="text-model spam v1")).to_be_visible()
    first_term = signal.details["terms"][0][0]
    expect(panel.locator(".classifier-terms")).to_contain_text(first_term)
    panel.get_by_role("link", name="text-model spam v1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Spam model v1")
