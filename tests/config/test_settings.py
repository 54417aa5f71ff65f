from __future__ import annotations

import pytest
from django.conf import settings

from tests.config.helpers import PRODUCTION, manage


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passkeys_are_bound_to_the_configured_domain():
    missing = manage("check", env={**PRODUCTION, "OTP_WEBAUTHN_RP_ID": ""})
    shown = manage(
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
    result = manage(
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


def test_the_api_rate_limit_is_read_from_the_environment():
    # The README documents API_RATE_LIMIT_PER_MINUTE: the setting must follow it.
    script = "from django.conf import settings; print(settings.API_RATE_LIMIT_PER_MINUTE)"
    result = manage("shell", "-c", script, env={"API_RATE_LIMIT_PER_MINUTE": "42"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "42"
