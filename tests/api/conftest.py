from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.token_services import api_token_issue
from accounts.tokens import SCOPES

REPORTS_URL = "/api/v1/reports"
STATEMENTS_URL = "/api/v1/statements"
APPEALS_URL = "/api/v1/appeals"


class ApiClient:
    """A test client that speaks JSON and sends a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post(self, url: str, body: Any, *, raw: bool = False, **kwargs: Any) -> Any:
        data = body if raw else json.dumps(body)
        kwargs.setdefault("content_type", "application/json")
        return self.client.post(url, data=data, headers=self._headers(), **kwargs)

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(url, params or {}, headers=self._headers())


@pytest.fixture
def issue_token(db) -> Callable[..., str]:
    counter = iter(range(1, 10_000))

    def issue(*scopes: str, name: str | None = None) -> str:
        _, secret = api_token_issue(
            name=name or f"platform-{next(counter)}", scopes=scopes or sorted(SCOPES)
        )
        return secret

    return issue


@pytest.fixture
def api(issue_token) -> ApiClient:
    """Holds every scope."""
    return ApiClient(issue_token())


@pytest.fixture
def make_api_client(issue_token) -> Callable[..., ApiClient]:
    def make(*scopes: str) -> ApiClient:
        return ApiClient(issue_token(*scopes))

    return make
