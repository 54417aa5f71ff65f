"""Hash banks: creating and configuring them, their pages, disabling and enabling a hash."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Category
from signals import services
from signals.models import BankedHash, HashBank

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR)


@pytest.fixture
def bank(senior):
    return services.bank_create(name="KNOWN_SPAM", actor=senior)


def add_hashes(bank, actor, count: int, *, start: int = 0) -> None:
    text = "".join(f"md5 {n:032x}\n" for n in range(start, start + count))
    services.hashes_import(bank=bank, text=text, actor=actor)


# --- Services ------------------------------------------------------------------------------


def test_bank_create_stores_the_bank_and_records_it(senior):
    category = Category.objects.order_by("id").first()

    bank = services.bank_create(
        name="CSAM_KNOWN", actor=senior, category=category, pdq_threshold=20, match_percent=50
    )

    assert (bank.name, bank.category, bank.created_by) == ("CSAM_KNOWN", category, senior)
    event = AuditEvent.objects.get(action="hash_bank.created")
    assert event.target_id == str(bank.pk)
    assert event.data["pdq_threshold"] == 20


@pytest.mark.parametrize("name", ["lower_case", "1STARTS_WITH_DIGIT", "HAS-DASH", "X", ""])
def test_bank_create_refuses_a_bad_name(senior, name):
    with pytest.raises(services.BankInputInvalid) as refused:
        services.bank_create(name=name, actor=senior)

    assert "name" in refused.value.errors
    assert not HashBank.objects.exists()


def test_bank_create_refuses_a_name_taken(senior, bank):
    with pytest.raises(services.BankInputInvalid) as refused:
        services.bank_create(name=bank.name, actor=senior)

    assert "name" in refused.value.errors


@pytest.mark.parametrize(("field", "value"), [("pdq_threshold", 257), ("match_percent", 101)])
def test_bank_create_refuses_out_of_range_settings(senior, field, value):
    with pytest.raises(services.BankInputInvalid) as refused:
        services.bank_create(name="GOOD_NAME", actor=senior, **{field: value})

    assert field in refused.value.errors


def test_bank_create_is_refused_to_a_moderator(make_user):
    with pytest.raises(services.NotAllowed):
        services.bank_create(name="GOOD_NAME", actor=make_user(Role.MODERATOR))


def test_bank_update_changes_settings_and_records_before_and_after(senior, bank):
    services.bank_update(bank_id=bank.pk, actor=senior, enabled=False, pdq_threshold=16)

    bank.refresh_from_db()
    assert (bank.enabled, bank.pdq_threshold) == (False, 16)
    event = AuditEvent.objects.get(action="hash_bank.updated")
    assert event.data == {"changes": {"enabled": [True, False], "pdq_threshold": [31, 16]}}


def test_bank_update_without_a_change_records_nothing(senior, bank):
    services.bank_update(bank_id=bank.pk, actor=senior, pdq_threshold=bank.pdq_threshold)

    assert not AuditEvent.objects.filter(action="hash_bank.updated").exists()


def test_bank_update_refuses_a_threshold_over_256(senior, bank):
    with pytest.raises(services.BankInputInvalid):
        services.bank_update(bank_id=bank.pk, actor=senior, pdq_threshold=300)

    bank.refresh_from_db()
    assert bank.pdq_threshold == 31


def test_hash_disable_keeps_the_hash_and_enable_brings_it_back(senior, bank):
    add_hashes(bank, senior, 1)
    banked = BankedHash.objects.get()

    services.hash_disable(hash_id=banked.pk, actor=senior)
    banked.refresh_from_db()
    assert (banked.disabled_by, banked.disabled_at is not None) == (senior, True)

    services.hash_enable(hash_id=banked.pk, actor=senior)
    banked.refresh_from_db()
    assert (banked.disabled_by, banked.disabled_at) == (None, None)
    actions = list(
        AuditEvent.objects.filter(target_id=str(banked.pk), action__startswith="banked_hash.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["banked_hash.disabled", "banked_hash.enabled"]


def test_hash_disable_twice_records_one_event(senior, bank):
    add_hashes(bank, senior, 1)
    banked = BankedHash.objects.get()

    services.hash_disable(hash_id=banked.pk, actor=senior)
    services.hash_disable(hash_id=banked.pk, actor=senior)

    assert AuditEvent.objects.filter(action="banked_hash.disabled").count() == 1


def test_hash_disable_is_refused_to_a_moderator(senior, bank, make_user):
    add_hashes(bank, senior, 1)

    with pytest.raises(services.NotAllowed):
        services.hash_disable(hash_id=BankedHash.objects.get().pk, actor=make_user(Role.MODERATOR))


# --- Pages ---------------------------------------------------------------------------------


def page_urls(bank) -> list[str]:
    return [
        reverse("signals:banks"),
        reverse("signals:bank_new"),
        reverse("signals:bank", args=[bank.pk]),
        reverse("signals:bank_settings", args=[bank.pk]),
        reverse("signals:bank_import", args=[bank.pk]),
    ]


def test_pages_open_for_a_senior_moderator(senior, bank, client_for):
    client = client_for(senior)

    for url in page_urls(bank):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role",
    [Role.MODERATOR, Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.AUDITOR, Role.ADMINISTRATOR],
)
def test_pages_are_forbidden_to_other_roles(role, bank, make_user, client_for):
    client = client_for(make_user(role))

    for url in page_urls(bank):
        assert client.get(url).status_code == 403, url


def test_pages_send_anonymous_visitors_to_log_in(bank, client):
    for url in page_urls(bank):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_post_views_are_forbidden_to_a_moderator(senior, bank, make_user, client_for):
    add_hashes(bank, senior, 1)
    banked = BankedHash.objects.get()
    client = client_for(make_user(Role.MODERATOR))

    assert client.post(reverse("signals:bank_new"), {"name": "OTHER"}).status_code == 403
    settings_url = reverse("signals:bank_settings", args=[bank.pk])
    assert client.post(settings_url, {"pdq_threshold": 1}).status_code == 403
    assert client.post(reverse("signals:hash_disable", args=[banked.pk])).status_code == 403
    banked.refresh_from_db()
    assert banked.disabled_at is None


def test_a_missing_bank_is_404(senior, client_for):
    assert client_for(senior).get(reverse("signals:bank", args=[999])).status_code == 404


def test_create_page_creates_a_bank(senior, client_for):
    response = client_for(senior).post(
        reverse("signals:bank_new"),
        {"name": "NEW_BANK", "enabled": "on", "pdq_threshold": 31, "match_percent": 100},
    )

    bank = HashBank.objects.get(name="NEW_BANK")
    assert response["Location"] == reverse("signals:bank", args=[bank.pk])


def test_create_page_shows_errors_for_a_bad_name_and_threshold(senior, client_for):
    response = client_for(senior).post(
        reverse("signals:bank_new"),
        {"name": "bad name", "pdq_threshold": 257, "match_percent": 100},
    )

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert set(response.context["form"].errors) == {"name", "pdq_threshold"}
    assert not HashBank.objects.exists()


def test_settings_page_saves_the_settings(senior, bank, client_for):
    response = client_for(senior).post(
        reverse("signals:bank_settings", args=[bank.pk]),
        {"description": "Known spam images", "pdq_threshold": 10, "match_percent": 25},
    )

    assert response.status_code == 302
    bank.refresh_from_db()
    assert (bank.description, bank.enabled, bank.pdq_threshold, bank.match_percent) == (
        "Known spam images",
        False,
        10,
        25,
    )


def test_disable_button_swaps_the_row_with_htmx(senior, bank, client_for):
    add_hashes(bank, senior, 1)
    banked = BankedHash.objects.get()

    response = client_for(senior).post(
        reverse("signals:hash_disable", args=[banked.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "banked-hash-changed"
    body = response.content.decode()
    assert body.strip().startswith(f'<tr id="hash-{banked.pk}"')
    assert reverse("signals:hash_enable", args=[banked.pk]) in body
    assert "<html" not in body


def test_enable_without_htmx_redirects_to_the_bank(senior, bank, client_for):
    add_hashes(bank, senior, 1)
    banked = BankedHash.objects.get()
    services.hash_disable(hash_id=banked.pk, actor=senior)

    response = client_for(senior).post(reverse("signals:hash_enable", args=[banked.pk]))

    assert response["Location"] == reverse("signals:bank", args=[bank.pk])
    banked.refresh_from_db()
    assert banked.disabled_at is None


def test_list_page_counts_hashes_by_type_and_state(senior, bank, client_for):
    add_hashes(bank, senior, 3)
    services.hash_disable(hash_id=BankedHash.objects.order_by("id").first().pk, actor=senior)

    response = client_for(senior).get(reverse("signals:banks"))

    [(shown, counts)] = response.context["rows"]
    assert shown == bank
    assert {c.signal_type: (c.enabled, c.disabled) for c in counts} == {
        "pdq": (0, 0),
        "md5": (2, 1),
        "sha256": (0, 0),
    }


def test_list_page_queries_do_not_grow_with_banks_or_hashes(senior, client_for):
    client = client_for(senior)
    first = services.bank_create(name="FIRST_BANK", actor=senior)
    add_hashes(first, senior, 2)
    client.get(reverse("signals:banks"))  # warm up the session and permission caches
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("signals:banks"))

    for n in range(3):
        more = services.bank_create(name=f"MORE_BANK_{n}", actor=senior)
        add_hashes(more, senior, 5, start=100 * (n + 1))
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("signals:banks"))

    assert len(large) == len(small)


def test_detail_page_queries_do_not_grow_with_hashes(senior, bank, client_for):
    client = client_for(senior)
    add_hashes(bank, senior, 2)
    url = reverse("signals:bank", args=[bank.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)

    add_hashes(bank, senior, 60, start=1000)
    services.hash_disable(hash_id=BankedHash.objects.order_by("-id").first().pk, actor=senior)
    with CaptureQueriesContext(connection) as large:
        client.get(url)

    assert len(large) == len(small)


def test_detail_page_is_keyset_paginated(senior, bank, client_for, monkeypatch):
    from signals import selectors

    monkeypatch.setattr(selectors, "HASH_PAGE_SIZE", 2)
    add_hashes(bank, senior, 5)
    client = client_for(senior)
    url = reverse("signals:bank", args=[bank.pk])
    seen: list[int] = []

    response = client.get(url)
    while True:
        seen += [h.pk for h in response.context["page"].hashes]
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
        response = client.get(
            url, {"cursor": cursor}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="hash-table"
        )
        assert "<html" not in response.content.decode()

    assert seen == sorted(BankedHash.objects.values_list("pk", flat=True), reverse=True)


def test_detail_page_ignores_a_forged_cursor(senior, bank, client_for):
    response = client_for(senior).get(
        reverse("signals:bank", args=[bank.pk]), {"cursor": "not-a-cursor"}
    )

    assert response.status_code == 200


def test_navigation_shows_hash_banks_to_senior_moderators_only(senior, make_user, client_for):
    def shown(user) -> set[str]:
        response = client_for(user).get(reverse("dashboard"))
        return {item["name"] for item in response.context["nav_items"]}

    assert "signals:banks" in shown(senior)
    assert "signals:banks" not in shown(make_user(Role.MODERATOR))


def test_create_page_shows_a_taken_name_on_the_name_field(senior, bank, client_for):
    response = client_for(senior).post(
        reverse("signals:bank_new"),
        {"name": bank.name, "pdq_threshold": 31, "match_percent": 100},
    )

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert HashBank.objects.count() == 1
