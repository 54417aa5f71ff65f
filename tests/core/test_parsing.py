"""Ids read from user input never crash the page that reads them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.parsing import MAX_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 4301, None),  # int() itself refuses this many digits (ValueError)
        ("¹", None),  # isdigit() but not int()-able
        ("٣", None),  # isdigit() and int()-able, but not an id anyone typed
        ("-1", None),
        (" 1", None),
        ("", None),
        (None, None),
        (12, None),
    ],
)
def test_parse_id(text, expected):
    assert parse_id(text) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"category": "9" * 4301},
        {"category": "¹"},
        {"after": "9" * 4301},
        {"after": "¹"},
    ],
)
def test_the_queue_answers_a_monstrous_id_without_a_500(moderator_client, query):
    response = moderator_client.get(reverse("moderation:home"), query)

    assert response.status_code in (200, 400)


@pytest.mark.django_db
def test_a_bulk_selection_with_a_monstrous_case_number_is_refused(make_user, client_for):
    from accounts.roles import Role

    senior = client_for(make_user(Role.SENIOR_MODERATOR))

    response = senior.get(reverse("moderation:bulk_new"), {"case": ["1", "9" * 4301]})

    assert response.status_code == 200
    assert "not a case number" in response.content.decode()
