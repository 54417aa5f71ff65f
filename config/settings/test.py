"""The test suite: same as base, with fast password hashing and a file-backed SQLite test DB."""

from config.cache import caches_from_url
from config.env import env_bool, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, VAR_DIR

DEBUG = False
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a Celery worker process started by a test sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# Tasks queued by services run in-process during tests. A worker process started by a test
# (tests/workers.py) turns this off, so what it publishes goes through the real broker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
PLATFORM_WEBHOOK_URL = env_str("PLATFORM_WEBHOOK_URL") or ""
PLATFORM_WEBHOOK_SECRET = env_str("PLATFORM_WEBHOOK_SECRET") or ""
# In-memory unless CACHE_URL points the suite at a Redis. Give the suite a Redis database of its
# own: tests clear the cache, which on Redis empties the whole database (FLUSHDB).
CACHES = caches_from_url(env_str("CACHE_URL"))
