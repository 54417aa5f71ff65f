from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
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
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "OTP_WEBAUTHN_RP_ID": "tsdash.example.org",
}


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passkeys_are_bound_to_the_configured_domain():
    missing = _manage("check", env={**PRODUCTION, "OTP_WEBAUTHN_RP_ID": ""})
    shown = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.OTP_WEBAUTHN_RP_ID, s.OTP_WEBAUTHN_ALLOWED_ORIGINS, "
        "s.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN)",
        env=PRODUCTION,
    )

    assert missing.returncode != 0
    assert "OTP_WEBAUTHN_RP_ID must be set" in missing.stderr
    assert shown.stdout.strip().splitlines()[-1] == (
        "tsdash.example.org ['https://tsdash.example.org'] False"
    )


def test_bad_boolean_in_the_environment_is_a_clear_error():
    result = _manage(
        "check", env={"DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "maybe"}
    )

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_services_own_their_transactions():
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False), ("", False)],
)
def test_env_bool_parses_the_usual_spellings(monkeypatch, raw, expected):
    from config.env import env_bool

    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected
