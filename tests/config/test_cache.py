from __future__ import annotations

import secrets

import pytest
import redis
from django.core.cache import CacheHandler
from django.core.exceptions import ImproperlyConfigured

from accounts.tokens import ApiToken
from api_core import ratelimit
from api_core.ratelimit import RATE_WINDOW_SECONDS, RateLimited, api_rate_limit_check
from config.cache import LOCMEM_BACKEND, REDIS_BACKEND, caches_from_url, caches_required
from tests.config.helpers import PRODUCTION, manage

# A database of its own on the local Redis, so the test never touches another one's keys.
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/1",
        "rediss://:secret@cache.internal:6380/0",
        "unix:///run/redis/redis.sock?db=2",
    ],
)
def test_caches_from_url_uses_django_redis_cache_for_redis_urls(url):
    default = caches_from_url(url)["default"]

    assert default["BACKEND"] == REDIS_BACKEND
    assert default["LOCATION"] == url
    assert default["OPTIONS"]["socket_timeout"] > 0


@pytest.mark.parametrize("url", [None, ""])
def test_caches_from_url_without_a_url_is_in_memory(url):
    assert caches_from_url(url)["default"]["BACKEND"] == LOCMEM_BACKEND


def test_caches_from_url_refuses_other_schemes_without_echoing_the_url():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be a Redis URL") as refused:
        caches_from_url("memcached://user:hunter2@cache:11211")

    assert "hunter2" not in str(refused.value)


def test_caches_required_refuses_a_missing_url():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be set"):
        caches_required("")


def test_production_settings_refuse_to_start_without_a_cache_url():
    result = manage("check", env={**PRODUCTION, "CACHE_URL": ""})

    assert result.returncode != 0
    assert "CACHE_URL must be set" in result.stderr


def _redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def two_web_processes():
    """Two RedisCache instances with their own connections, as two web processes have."""
    if not _redis_reachable(LOCAL_REDIS_URL):
        pytest.skip("needs Redis at 127.0.0.1:6379")
    config = caches_from_url(LOCAL_REDIS_URL)
    config["default"]["KEY_PREFIX"] = f"test-{secrets.token_hex(4)}"
    first, second = CacheHandler(config)["default"], CacheHandler(config)["default"]
    assert first is not second
    yield first, second
    # Only this test's keys: clear() would flush the whole Redis database.
    client = redis.Redis.from_url(LOCAL_REDIS_URL)
    for key in client.scan_iter(f"{config['default']['KEY_PREFIX']}:*"):
        client.delete(key)
    first.close()
    second.close()


def test_rate_limit_counter_is_shared_by_two_processes_through_redis(
    two_web_processes, monkeypatch, settings
):
    first, second = two_web_processes
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    token = ApiToken(name="platform", prefix=secrets.token_hex(4))
    now = 2_000 * RATE_WINDOW_SECONDS + 1.0

    monkeypatch.setattr(ratelimit, "cache", first)
    for _ in range(3):
        api_rate_limit_check(token=token, now=now)
    monkeypatch.setattr(ratelimit, "cache", second)

    with pytest.raises(RateLimited):
        api_rate_limit_check(token=token, now=now + 1)
