"""
The platform-facing HTTP API, /api/v1/: each app's routers mounted on one PlatformApi.

The shared parts (bearer service tokens, rate limit, JSON bodies and errors, the OpenAPI
additions) live in api_core; each app keeps its own routers and schemas. No Swagger UI: it
would load its scripts from a CDN.
"""

from __future__ import annotations

from api_core.platform_api import PlatformApi

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

api.add_router("/reports", "moderation.api.reports.router")
api.add_router("/statements", "moderation.api.statements.router")
api.add_router("/appeals", "moderation.api.appeals.router")
api.add_router("/media", "moderation.api.media.router")
api.add_router("/subscriber-data", "disclosures.api.router")
api.add_router("/search-policy", "search_policy.api.router")
