"""The request's signed-in user, and the second-step answer outside a request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from accounts.request_user import signed_in_user

pytestmark = pytest.mark.django_db


def test_the_signed_in_user_is_the_requests_user(moderator):
    request = RequestFactory().get("/")
    request.user = moderator

    assert signed_in_user(request) is moderator


def test_an_anonymous_request_is_refused_with_a_403():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with pytest.raises(PermissionDenied):
        signed_in_user(request)


def test_a_user_outside_a_request_has_passed_no_second_step(moderator):
    assert moderator.is_verified() is False


def test_the_otp_middleware_answers_for_the_requests_user(auditor_client):
    # An auditor's role needs a second factor, and this session has passed it: the
    # middleware's answer replaces the model's default.
    response = auditor_client.get(reverse("audit:events"))

    assert response.status_code == 200
    assert response.wsgi_request.user.is_verified() is True
