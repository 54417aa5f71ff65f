"""Bearer-token authentication with one required scope per endpoint."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts.token_services import api_token_authenticate
from accounts.tokens import ApiToken
from api_core.http import ApiError
from api_core.ratelimit import api_rate_limit_check


class ApiTokenAuth(HttpBearer):
    """
    `Authorization: Bearer <token>` holding `scope`.

    No token, an unknown or a revoked one: None, which the API answers with 401. A valid
    token without the scope: 403, so the caller knows the token works but is not enough.
    A token over its rate limit: 429, whatever the scope.
    """

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = str(scope)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_authenticate(presented=token.strip())
        if found is None:
            return None
        api_rate_limit_check(token=found)
        if not found.allows(self.scope):
            raise ApiError(403, f"This token does not have the '{self.scope}' scope.")
        return found
