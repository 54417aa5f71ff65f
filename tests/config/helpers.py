"""Running manage.py in a child process under given settings, and the production environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses.
    unwanted = {"DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unwanted}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
    "AUDIT_HMAC_KEY": "another-long-random-key-for-the-audit-digests",
    "ALLOWED_HOSTS": "tsdash.example.org",
    "FIELD_ENCRYPTION_KEYS": "kVr5b8m0bQp6ZfS3v1G0o6yqfXc2JtQmYy3mD7eE0aA=",
    "BLIND_INDEX_KEY": "a-separate-long-random-key-for-blind-indexes",
    "DISCLOSURE_SIGNING_KEY": "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
    "AUDIT_SIGNING_KEY": "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SEARCH_POLICY_SIGNING_KEY": "u7s0r9Q1bqvW3mC2x8kZpA5nJtLeH4dYfG6iR1oVcXw=",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "OTP_WEBAUTHN_RP_ID": "tsdash.example.org",
}
