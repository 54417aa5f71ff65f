"""
The platform-facing HTTP API, /api/v1/: django-ninja, bearer service tokens, JSON errors.

The dashboard's LoginRequiredMiddleware would send API clients to the login page, so every
API view is marked login_not_required; the endpoints authenticate with their own bearer
tokens instead (accounts.tokens), and the OpenAPI schema is public. No Swagger UI: it
would load its scripts from a CDN.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from moderation.api import appeals, reports, schemas, statements
from moderation.api.auth import ApiTokenAuth
from moderation.api.http import ApiError

logger = logging.getLogger(__name__)


class PlatformApi(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                login_not_required(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        # Request bodies are parsed by the endpoints themselves (to answer per item and with
        # field paths); their schemas are published here and referenced by openapi_extra.
        schema["components"]["schemas"].update(schemas.request_components())
        # OpenAPI 3.1 lets a non-OAuth security requirement list the roles it needs: name
        # each endpoint's token scope there.
        scopes = self._scopes_by_operation_id()
        for methods in schema["paths"].values():
            for operation in methods.values():
                scope = scopes.get(operation.get("operationId"))
                if scope and operation.get("security"):
                    operation["security"] = [{"ApiTokenAuth": [scope]}]
        return schema

    def _scopes_by_operation_id(self) -> dict[str, str]:
        found = {}
        for bound in self._get_bound_routers():
            for path_view in bound.path_operations.values():
                for operation in path_view.operations:
                    for auth in operation.auth_callbacks:
                        if isinstance(auth, ApiTokenAuth):
                            op_id = operation.operation_id or self.get_openapi_operation_id(
                                operation
                            )
                            found[op_id] = auth.scope
        return found


api = PlatformApi(
    title="Trust & Safety platform API",
    version="1",
    description=(
        "For the platform's back end: submit reports and appeals, read statements of "
        "reasons. Authenticate with `Authorization: Bearer <token>` (tokens are issued "
        "with `manage.py issue_api_token`); each endpoint needs one scope. Errors are "
        'JSON: `{"detail": ...}`, and for 422 also `"errors": [{"field", "message"}]`.'
    ),
    openapi_url="/openapi.json",
    docs_url=None,
    urls_namespace="api",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = api.create_response(request, exc.body(), status=exc.status)
    retry_after = getattr(exc, "retry_after", None)  # set by RateLimited (429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "Send a valid API token: 'Authorization: Bearer <token>'."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(NinjaValidationError)
def _invalid_parameters(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": "The request is not valid.", "errors": errors}, status=422
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed: %s %s", request.method, request.path)
    return api.create_response(
        request,
        {"detail": "Internal error. Retry later: external_id makes retries safe."},
        status=500,
    )


api.add_router("/reports", reports.router)
api.add_router("/statements", statements.router)
api.add_router("/appeals", appeals.router)
api.add_router("/subscriber-data", "disclosures.api.router")
