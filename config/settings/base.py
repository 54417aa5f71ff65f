"""
Settings shared by every mode. Everything that differs between machines comes from the
environment; the defaults are safe for a laptop (SQLite file, embedded broker, DEBUG off).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_str("SECRET_KEY") or "insecure-local-development-key-never-use-in-production"
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Demo mode lets `seed_demo` create the demo users with the shared demo password.
DEMO_MODE = env_bool("DEMO_MODE", False)
DEMO_PASSWORD = env_str("DEMO_PASSWORD") or "tsdash-demo-2026"
# The authenticator key of the demo accounts whose role requires two steps (base32, as apps
# take it). Published in the README: demo data only, never seeded outside demo mode.
DEMO_TOTP_SECRET = env_str("DEMO_TOTP_SECRET") or "TSDASHDEMOSECRETKEYFORTHEDASHBRD"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "accounts",
    "audit",
    "outbox",
    "moderation",
    "disclosures",
    "signals",
    "search_policy",
    # Project level, above every app: the demo data command (seed_demo).
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything that reads request.POST (sessions, CSRF, authentication): bodies over
    # MAX_REQUEST_BODY_BYTES are refused with 413 before they are parsed.
    "config.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Times in the signed-in user's own zone (accounts.timezones).
    "accounts.timezones.UserTimezoneMiddleware",
    # Around the two below: an htmx request that lost its session loads the login page as a
    # page (and comes back), instead of pasting the login form into a panel.
    "accounts.htmx_login.HtmxLoginRedirectMiddleware",
    "accounts.session_policy.SessionPolicyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "audit.middleware.DeniedAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns lockouts raised during login into a response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Throttles and locks out repeated failures before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# --- Dual control and sign-in limits (issue 11) ---------------------------------------------
# A privileged role takes effect only when a second Administrator approves its grant.
# Preparing (Legal officer) and approving (Legal approver) roles on one account: refused unless
# this is set (the rule "who prepared cannot approve" holds either way).
ALLOW_PREPARER_AND_APPROVER = env_bool("ALLOW_PREPARER_AND_APPROVER", False)
# A newly privileged account approves and releases nothing for this many hours.
PRIVILEGED_COOLING_OFF_HOURS = env_int("PRIVILEGED_COOLING_OFF_HOURS", 24)
# One-time links where an account's owner sets their own password.
ENROLMENT_LINK_HOURS = env_int("ENROLMENT_LINK_HOURS", 48)
# Failed sign-ins are written to the trail at most once per username, client and window.
AUTH_FAILURE_WINDOW_SECONDS = env_int("AUTH_FAILURE_WINDOW_SECONDS", 60)
# Requests per API token per minute (api_core.ratelimit); shared through the cache.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
# Failed sign-ins from one client address, whatever the username, before it is refused.
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 50)
# Request bodies above this are refused with 413 before anything parses them (set the same
# limit on the reverse proxy: nginx client_max_body_size).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 20 * 1024 * 1024)
# Form fields (everything but files) held in memory, per request; the API reads its JSON
# itself with the same 5 MB limit (api_core/http.py: MAX_BODY_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Uploads above this go to a temporary file instead of memory (order documents: see
# disclosures/services/intake/documents.py, refused while streaming past DOCUMENT_MAX_BYTES).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
# One username from one client address: someone elsewhere who knows a username cannot lock
# its owner out. The handler adds the per-address limit, AXES_IP_FAILURE_LIMIT (above), and
# wrong codes and failed step-ups count too (accounts/lockout.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.SignInLockoutHandler"
AXES_RESET_ON_SUCCESS = True
# The client address as the audit trail sees it (TRUSTED_PROXY_COUNT hops from the right of
# X-Forwarded-For), so a client cannot pick a new address per attempt.
AXES_CLIENT_IP_CALLABLE = "audit.middleware.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Masked in axes' stored request data, with the password: the second-factor code.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Second factors (django-otp: TOTP and recovery codes; django-otp-webauthn: passkeys).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER") or "Trust & Safety"
OTP_WEBAUTHN_RP_ID = env_str("OTP_WEBAUTHN_RP_ID") or "localhost"
OTP_WEBAUTHN_RP_NAME = "Trust & Safety"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("OTP_WEBAUTHN_ALLOWED_ORIGINS", ["http://localhost:8000"])
# Nobody, superusers included, reads another user's authenticator key or QR code in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A passkey is a second factor here, never a way to skip the password.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "accounts.passkeys"
# Roles that cannot use the dashboard until they have enrolled a second factor and, on each
# login, verified it. Moderators are added with MFA_REQUIRED_FOR_MODERATORS=true.
MFA_REQUIRED_ROLES = ["Legal officer", "Legal approver", "Auditor", "Administrator"]
if env_bool("MFA_REQUIRED_FOR_MODERATORS", False):
    MFA_REQUIRED_ROLES += ["Moderator", "Senior moderator"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file: WAL lets readers go on
    # while one writes, and IMMEDIATE transactions take the write lock up front instead of
    # failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The queue's covering index carries extra columns (INCLUDE) on PostgreSQL; SQLite, the
    # embedded default, builds it without them, which is all the warning says.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Services own their transactions (durable atomic blocks); see STYLE.md.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# An expired form token: a plain-language page (or, for htmx, a reload that keeps drafts).
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute lifetime of a login
# Idle limits enforced by accounts.session_policy (seconds); legal and audit roles get the
# shorter one.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_IDLE_SECONDS_PRIVILEGED = env_int("SESSION_IDLE_SECONDS_PRIVILEGED", 15 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Each language named in itself, so anyone can find theirs in the switcher. The choice is kept
# in a cookie (config.views.language_set); without one, the browser's Accept-Language decides.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers per language (config/formats/<lang>/formats.py): ISO-like in English,
# day/month/year in French.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security headers that hold in every mode ----------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts only from this origin and carrying the per-response nonce; no inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

# --- Audit ----------------------------------------------------------------------------------
# Key of the keyed hash that stands in for PII in the audit trail (never the PII itself).
AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY") or SECRET_KEY
# How many reverse proxies in front of the app append to X-Forwarded-For (0: trust none).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AUDIT_PAGE_SIZE = 50

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Embedded broker: messages are files in var/, so `make run` needs no broker server.
    _broker_dir = VAR_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        # Fanout tables (worker control); kombu's default is ./control in the working dir.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
_default_results = None
if CELERY_BROKER_URL.startswith("redis://"):
    _default_results = CELERY_BROKER_URL
elif CELERY_BROKER_URL.startswith("filesystem://"):
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    _default_results = f"file://{VAR_DIR / 'celery' / 'results'}"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or _default_results
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The queue tasks are published to and a worker consumes by default (tests give each worker
# its own, so a shared broker never hands one test's tasks to another's worker).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "celery"
from config.settings.automation import *  # noqa: E402,F403  (signals, floods: one concern)
from config.settings.automation import CLASSIFIER_RETRAIN_HOURS  # noqa: E402

# Periodic work is declared here and nowhere else.
CELERY_BEAT_SCHEDULE = {
    "accounts-purge-expired-sessions": {
        "task": "accounts.tasks.purge_expired_sessions",
        "schedule": 60 * 60,
    },
    "accounts-flush-auth-failures": {"task": "accounts.tasks.flush_auth_failures", "schedule": 60},
    "audit-seal": {"task": "audit.tasks.seal", "schedule": 10},
    "audit-checkpoint": {"task": "audit.tasks.checkpoint", "schedule": 5 * 60},
    "moderation-expire-claims": {"task": "moderation.tasks.expire_claims", "schedule": 60},
    # Deliveries, bulk jobs and verification runs recorded but held by no worker.
    "outbox-relay": {"task": "outbox.tasks.relay", "schedule": 15},
    "moderation-refresh-deadline-priorities": {
        "task": "moderation.tasks.refresh_deadline_priorities",
        "schedule": 5 * 60,
    },
    "disclosures-purge-packages": {
        "task": "disclosures.tasks.purge_packages",
        "schedule": 24 * 60 * 60,
    },
    "disclosures-send-due-notices": {
        "task": "disclosures.tasks.send_due_notices",
        "schedule": 15 * 60,
    },
    "disclosures-deadline-reminders": {
        "task": "disclosures.tasks.send_deadline_reminders",
        "schedule": 5 * 60,
    },
    "disclosures-sweep-preservation-holds": {
        "task": "disclosures.tasks.sweep_preservation_holds",
        "schedule": 60 * 60,
    },
    "disclosures-purge-subscriber-ips": {
        "task": "disclosures.tasks.purge_subscriber_ips",
        "schedule": 24 * 60 * 60,
    },
    # Evidence past EVIDENCE_RETENTION_DAYS (moderation.services.retention).
    "moderation-purge-evidence": {
        "task": "moderation.tasks.purge_evidence",
        "schedule": 24 * 60 * 60,
    },
    # Delistings past their expiry leave the search policy feed (search_policy).
    "search-policy-remove-expired": {
        "task": "search_policy.tasks.remove_expired_delistings",
        "schedule": 60 * 60,
    },
    # The classifier learns from the latest decisions (signals.classifier).
    "signals-retrain-models": {
        "task": "signals.classifier.tasks.retrain_models",
        "schedule": CLASSIFIER_RETRAIN_HOURS * 60 * 60,
    },
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL") or "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # faiss tries its AVX-512 and AVX2 builds first and logs each miss at INFO: noise.
        "faiss.loader": {"level": "WARNING"},
    },
}

# Where encrypted release packages and request documents live (never under static or media).
PRIVATE_STORAGE_DIR = Path(env_str("PRIVATE_STORAGE_DIR") or VAR_DIR / "private")

# Each domain's settings live in a module of their own.
from config.settings.disclosures import *  # noqa: E402,F403
from config.settings.moderation import *  # noqa: E402,F403

# --- Tamper-evident audit log ---------------------------------------------------------------
# The log signs checkpoints with its own Ed25519 key (base64 of 32 bytes, or a file); never
# stored in the database. Development derives a stand-in from SECRET_KEY.
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY") or ""
AUDIT_SIGNING_KEY_FILE = env_str("AUDIT_SIGNING_KEY_FILE") or ""
AUDIT_LOG_ORIGIN = env_str("AUDIT_LOG_ORIGIN") or "tsdash.example/audit-log"
AUDIT_KEY_NAME = env_str("AUDIT_KEY_NAME") or "tsdash-audit-log"
# An event still unsealed after this long is an alarm (the sealer runs every few seconds).
AUDIT_MAX_MERGE_DELAY_SECONDS = env_int("AUDIT_MAX_MERGE_DELAY_SECONDS", 300)
