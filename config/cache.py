"""
CACHES from one `CACHE_URL`, read by the dev, test and production settings.

The cache holds the API's rate-limit counters, which must be shared by every web process:
a per-process cache lets each process count its own limit. Redis is the shared cache (its
client is already installed for Celery); without a URL, dev and test use a per-process
in-memory cache, and production refuses to start.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"

# Seconds before a request gives up on an unreachable Redis, instead of hanging a worker.
REDIS_SOCKET_TIMEOUT_SECONDS = 2


def caches_from_url(url: str | None) -> dict[str, dict[str, Any]]:
    """The CACHES setting for `url`; a per-process in-memory cache when there is none."""
    if not url:
        return {"default": {"BACKEND": LOCMEM_BACKEND, "LOCATION": "tsdash"}}
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        raise ImproperlyConfigured(
            f"CACHE_URL must be a Redis URL ({', '.join(sorted(REDIS_SCHEMES))}://...), "
            f"not {scheme or 'a URL without a scheme'}."
        )
    return {
        "default": {
            "BACKEND": REDIS_BACKEND,
            "LOCATION": url,
            "KEY_PREFIX": "tsdash",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
            },
        }
    }


def caches_required(url: str | None) -> dict[str, dict[str, Any]]:
    """CACHES for production, where a cache shared by every web process is mandatory."""
    if not url:
        raise ImproperlyConfigured(
            "The environment variable CACHE_URL must be set (e.g. redis://127.0.0.1:6379/1): "
            "the API rate limits need a cache shared by every web process."
        )
    return caches_from_url(url)
