"""
The NinjaAPI the platform talks to: public to the dashboard's login, JSON errors, scopes.

The dashboard's LoginRequiredMiddleware would send API clients to the login page, so every
API view is marked login_not_required; the endpoints authenticate with their own bearer
tokens instead (api_core.auth), and the OpenAPI schema is public.
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

from api_core.auth import ApiTokenAuth
from api_core.http import ApiError
from api_core.schemas import request_components

logger = logging.getLogger(__name__)


class PlatformApi(NinjaAPI):
    """A NinjaAPI whose routers, from any app, answer as the platform's client expects."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                login_not_required(pattern.callback)
        return patterns, app_name, namespace

    def set_default_exception_handlers(self) -> None:
        super().set_default_exception_handlers()
        # ninja types a handler's argument as `E | type[E]`, yet always passes the instance.
        self.add_exception_handler(ApiError, self._api_error)  # type: ignore[arg-type]
        self.add_exception_handler(AuthenticationError, self._unauthenticated)  # type: ignore[arg-type]
        self.add_exception_handler(NinjaValidationError, self._invalid_parameters)  # type: ignore[arg-type]
        self.add_exception_handler(Exception, self._unexpected)  # type: ignore[arg-type]

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        # Request bodies are parsed by the endpoints themselves (to answer per item and with
        # field paths); their schemas are published here and referenced by openapi_extra.
        schema["components"]["schemas"].update(request_components())
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

    # --- Errors, always JSON -------------------------------------------------------------------

    def _api_error(self, request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = self.create_response(request, exc.body(), status=exc.status)
        retry_after = getattr(exc, "retry_after", None)  # set by RateLimited (429)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response

    def _unauthenticated(self, request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = self.create_response(
            request,
            {"detail": "Send a valid API token: 'Authorization: Bearer <token>'."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def _invalid_parameters(self, request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
            for e in exc.errors
        ]
        return self.create_response(
            request, {"detail": "The request is not valid.", "errors": errors}, status=422
        )

    def _unexpected(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return self.create_response(
            request,
            {"detail": "Internal error. Retry later: external_id makes retries safe."},
            status=500,
        )
