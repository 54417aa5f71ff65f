"""A fixed one-minute request budget per API token, counted in the shared cache."""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from accounts.tokens import ApiToken
from api_core.http import ApiError

# Requests one token may make per minute, over every endpoint; the platform's back end
# sends batches, so a client near this limit is looping, not working.
DEFAULT_RATE_LIMIT_PER_MINUTE = 600
RATE_WINDOW_SECONDS = 60


class RateLimited(ApiError):
    """429: the token used up its window; `retry_after` seconds until the next one."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429, f"Too many requests for this token. Retry after {retry_after} seconds."
        )
        self.retry_after = retry_after


def api_rate_limit_check(*, token: ApiToken, now: float | None = None) -> None:
    """
    Count one request against the token's fixed one-minute window; RateLimited when over.

    The counter lives in Django's cache: it must be shared by every web process (Redis at
    CACHE_URL, required in production), or each process enforces its own limit.
    """
    limit = getattr(settings, "API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE)
    now = time.time() if now is None else now
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"api-rate:{token.prefix}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
        used = 1
    if used > limit:
        raise RateLimited(max(1, math.ceil((window + 1) * RATE_WINDOW_SECONDS - now)))
