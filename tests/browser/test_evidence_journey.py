"""
Issue 14 in real Chromium: a moderator judges a reported image the platform no longer serves
(the picture comes from the dashboard's own encrypted copy), sees the thread around the message
with its provenance, and sees that the author's evidence is on legal hold.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Report
from moderation.services.holds import evidence_hold_place
from moderation.services.intake import ContextMessageInput
from moderation.services.media import media_ingest
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"


def _synthetic_png() -> bytes:
    picture = Image.new("RGB", (900, 600), (30, 90, 160))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((200, 120, 700, 480), fill=(240, 200, 40))
    draw.text((20, 20), "SYNTHETIC TEST IMAGE", fill=(255, 255, 255))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def reported_image(transactional_db):
    services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    media = media_ingest(data=_synthetic_png()).media
    posted = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    case = make_case(
        category="spam",
        subject__media_sha256=media.sha256,
        subject__media_url="",  # the platform deleted it: only our copy remains
        subject__content_type="image",
        subject__text="Look at this",
        subject__posted_at=posted,
        context=(
            ContextMessageInput(
                position="before",
                message_id="b1",
                author_id="acct-ctx",
                author_name="Ann",
                posted_at=posted - timedelta(minutes=2),
                text="what is going on here",
            ),
            ContextMessageInput(
                position="after",
                message_id="a1",
                author_id="acct-ctx2",
                posted_at=posted + timedelta(minutes=1),
                text="forwarded from a private chat",
                provenance="reporter",
            ),
        ),
    )
    evidence_hold_place(
        account=case.subject.author_id, source=case, reason="preservation order", actor=None
    )
    return case, media


def test_a_moderator_judges_a_stored_image_with_its_thread_and_hold(
    reported_image, live_server, page: Page
):
    case, media = reported_image
    report = Report.objects.get(case=case)
    assert report.media_url == ""
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/moderation/cases/{case.pk}/")

    expect(page.get_by_text("Evidence on legal hold")).to_be_visible()
    thread = page.locator(f"#thread-{report.pk}")
    expect(thread).to_contain_text("what is going on here")
    expect(thread).to_contain_text("supplied by the reporter")
    expect(thread).to_contain_text("observed by the platform")

    figure = page.locator(f"#media-{report.pk}")
    expect(figure).to_have_class("media media-guarded")
    picture = figure.locator("img")
    expect(picture).to_have_attribute(
        "src", f"/moderation/cases/{case.pk}/media/{report.pk}/rendition/"
    )
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    assert picture.evaluate("img => img.naturalWidth") <= 640  # the downscaled rendition
    expect(figure).to_contain_text(media.sha256)
    expect(figure.get_by_role("link", name="Download original (recorded)")).to_have_count(0)

    figure.get_by_role("button", name="Reveal media (recorded)").click()
    figure = page.locator(f"#media-{report.pk}")
    expect(figure).to_have_class("media")
    picture = figure.locator("img")
    expect(picture).to_have_attribute(
        "src", f"/moderation/cases/{case.pk}/media/{report.pk}/rendition/?revealed"
    )
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    assert AuditEvent.objects.filter(action="media.revealed").count() == 1


def test_the_legal_team_sees_which_targets_evidence_is_on_hold(transactional_db, live_server, page):
    from django.db import transaction

    from tests.disclosures.factories import make_account, make_request
    from tests.utils import login_verified

    legal = services.user_create(username="louise", password=PASSWORD, roles=[Role.LEGAL_OFFICER])
    held, free = make_account(), make_account()
    legal_request = make_request(created_by=legal, accounts=[held, free])
    with transaction.atomic():
        evidence_hold_place(account=held, source=legal_request, reason="Legal request", actor=legal)
    # Signed in as after password and second factor: the session cookie goes to the browser.
    from django.test import Client

    client = login_verified(Client(), legal)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/legal/requests/{legal_request.pk}/")

    cells = page.locator("td.evidence-hold")
    expect(cells).to_have_count(2)
    expect(page.get_by_text("On legal hold")).to_have_count(1)
    expect(page.get_by_text("Not on hold")).to_have_count(1)
