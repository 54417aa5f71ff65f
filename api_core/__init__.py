"""
What every platform-facing API endpoint shares, whichever app it belongs to.

Bearer-token authentication with a scope per endpoint (`auth`), the per-token rate limit
(`ratelimit`), reading JSON bodies and answering errors as JSON (`http`), the shared error
schemas and request-body documentation (`schemas`), and the NinjaAPI subclass that puts
them together (`platform_api`). Domain apps import this package for their routers;
it imports no domain app (tokens come from `accounts`, which is infrastructure too).
"""
