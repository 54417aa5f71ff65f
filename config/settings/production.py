"""
Production: DEBUG off, secrets required from the environment, HTTPS everywhere.

`DJANGO_SETTINGS_MODULE=config.settings.production manage.py check --deploy` passes with no
warnings when SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CACHE_URL, OTP_WEBAUTHN_RP_ID and the
keys required below
are given.
"""

from django.core.exceptions import ImproperlyConfigured

from config.cache import caches_required
from config.env import env_bool, env_int, env_list, env_required, env_str
from config.settings.base import *  # noqa: F403

DEBUG = False
DEMO_MODE = False
SECRET_KEY = env_required("SECRET_KEY")
AUDIT_HMAC_KEY = env_required("AUDIT_HMAC_KEY")
FIELD_ENCRYPTION_KEYS = env_required("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env_required("BLIND_INDEX_KEY")
if not (env_str("AUDIT_SIGNING_KEY") or env_str("AUDIT_SIGNING_KEY_FILE")):
    raise ImproperlyConfigured("Set AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE.")
if not (env_str("DISCLOSURE_SIGNING_KEY") or env_str("DISCLOSURE_SIGNING_KEY_FILE")):
    raise ImproperlyConfigured("Set DISCLOSURE_SIGNING_KEY or DISCLOSURE_SIGNING_KEY_FILE.")
if not (env_str("SEARCH_POLICY_SIGNING_KEY") or env_str("SEARCH_POLICY_SIGNING_KEY_FILE")):
    raise ImproperlyConfigured("Set SEARCH_POLICY_SIGNING_KEY or SEARCH_POLICY_SIGNING_KEY_FILE.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
CACHES = caches_required(env_str("CACHE_URL"))
# Passkeys are bound to the site's domain: the development default (localhost) cannot serve.
OTP_WEBAUTHN_RP_ID = env_required("OTP_WEBAUTHN_RP_ID")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "OTP_WEBAUTHN_ALLOWED_ORIGINS", [f"https://{OTP_WEBAUTHN_RP_ID}"]
)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
