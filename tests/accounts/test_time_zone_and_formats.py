"""Times in the user's own zone, dates and numbers in their language, and the grouped top bar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.roles import Role
from moderation.models import Reporter

# 23:30 UTC on 1 December is already 2 December in Paris (UTC+1 in winter).
MUTED_AT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


@pytest.fixture
def senior(make_user) -> User:
    return make_user(Role.SENIOR_MODERATOR, username="senior-tz")


@pytest.fixture
def muted_reporter(senior) -> Reporter:
    return Reporter.objects.create(
        platform_id="tz-reporter", muted_at=MUTED_AT, muted_by=senior, mute_reason="spam"
    )


def muted_page(client, language: str = "en") -> str:
    return client.get(
        reverse("moderation:reporters_muted"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()


def test_preferences_store_the_zone_and_pages_show_times_in_it(senior, client_for, muted_reporter):
    client = client_for(senior)
    assert "2026-12-01 23:30" in muted_page(client)  # no zone chosen: UTC

    response = client.post(reverse("accounts:preferences"), {"time_zone": "Europe/Paris"})

    assert response.status_code == 302
    senior.refresh_from_db()
    assert senior.time_zone == "Europe/Paris"
    page = muted_page(client)
    assert "2026-12-02 00:30" in page
    assert "2026-12-01 23:30" not in page
    assert "Times are shown in Europe/Paris." in page


def test_french_pages_show_day_month_year_in_the_users_zone(senior, client_for, muted_reporter):
    client = client_for(senior)
    client.post(reverse("accounts:preferences"), {"time_zone": "America/New_York"})

    page = muted_page(client, "fr")

    assert "01/12/2026 18:30" in page


def test_an_unknown_zone_is_refused_with_a_message_and_changes_nothing(senior, client_for):
    client = client_for(senior)
    client.post(reverse("accounts:preferences"), {"time_zone": "Europe/Berlin"})

    for bad in ("Mars/Olympus_Mons", "", "Europe/Paris\x00", "x" * 500):
        response = client.post(reverse("accounts:preferences"), {"time_zone": bad})

        assert response.status_code == 422
        assert "There is a problem" in response.content.decode()
        senior.refresh_from_db()
        assert senior.time_zone == "Europe/Berlin"


def test_choosing_utc_stores_the_site_default(senior, client_for):
    client = client_for(senior)
    client.post(reverse("accounts:preferences"), {"time_zone": "Asia/Tokyo"})
    client.post(reverse("accounts:preferences"), {"time_zone": "UTC"})

    senior.refresh_from_db()
    assert senior.time_zone == ""
    assert "Times are shown in UTC." in client.get(reverse("accounts:preferences")).content.decode()


def test_a_zone_no_longer_known_falls_back_to_utc(senior, client_for, muted_reporter):
    User.objects.filter(pk=senior.pk).update(time_zone="Atlantis/Capital")

    assert "2026-12-01 23:30" in muted_page(client_for(senior))


def test_the_zone_does_not_leak_into_the_next_request(senior, moderator, client_for):
    client_for(senior).post(reverse("accounts:preferences"), {"time_zone": "Asia/Tokyo"})

    page = client_for(moderator).get(reverse("accounts:preferences")).content.decode()

    assert "Times are shown in UTC." in page


def test_the_preferences_page_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:preferences"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_counts_are_grouped_by_the_languages_separator():
    template = Template("{% load humanize %}{{ n|intcomma }}")
    with translation.override("en"):
        assert template.render(Context({"n": 1234567})) == "1,234,567"
    with translation.override("fr"):
        assert template.render(Context({"n": 1234567})) == "1\u202f234\u202f567"


def test_senior_top_bar_groups_automation_and_team_tools(senior, client_for):
    response = client_for(senior).get(reverse("dashboard"))

    bar = response.context["nav_bar"]
    top = [entry["name"] for entry in bar]
    assert top == [
        "dashboard",
        "moderation:home",
        "moderation:appeals",
        "automation",
        "team",
        "search_policy:home",
    ]
    menus = {entry["name"]: [i["name"] for i in entry["items"]] for entry in bar if entry["menu"]}
    assert menus["automation"] == [
        "signals:banks",
        "signals:groups",
        "signals:detectors",
        "signals:reviews",
        "signals:models",
    ]
    assert menus["team"] == [
        "moderation:exposure",
        "moderation:reporters_muted",
        "moderation:reply_templates",
        "moderation:transparency",
        "moderation:metrics",
    ]
    assert 'data-nav-menu="automation"' in response.content.decode()


def test_a_group_with_one_entry_stays_a_plain_link(make_user, client_for):
    legal = make_user(Role.LEGAL_OFFICER)

    bar = client_for(legal).get(reverse("dashboard")).context["nav_bar"]

    assert not any(entry["menu"] for entry in bar)
    assert "moderation:transparency" in [entry["name"] for entry in bar]


def test_the_menu_of_the_current_page_is_marked(senior, client_for):
    response = client_for(senior).get(reverse("moderation:reporters_muted"))

    team = next(e for e in response.context["nav_bar"] if e["name"] == "team")
    assert team["active"] is True
    assert '<summary class="current">' in response.content.decode()
