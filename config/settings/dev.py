"""Local development and `make run`: DEBUG and demo mode on unless the environment says no."""

from config.cache import caches_from_url
from config.env import env_bool, env_str
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
DEMO_MODE = env_bool("DEMO_MODE", True)
CACHES = caches_from_url(env_str("CACHE_URL"))
