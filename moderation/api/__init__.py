"""
The platform-facing HTTP API of the moderation app (mounted by config.api at /api/v1/).

Each module is an interface: it parses and validates the request, authorises the bearer
token's scope, makes one service or selector call and renders JSON. Token auth, JSON
bodies and errors and the rate limit are shared with the other apps' endpoints: api_core.
"""
