from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_404_page_uses_the_layout(moderator_client):
    response = moderator_client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"This page does not exist" in response.content
    assert b'class="topbar"' in response.content


def test_403_page_explains_the_refusal(moderator_client):
    response = moderator_client.get("/audit/events/")

    assert response.status_code == 403
    assert b"You are not allowed to see this page" in response.content


def test_500_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
