from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken, User
from accounts.token_services import (
    InvalidApiToken,
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
)
from audit.models import AuditEvent
from tests.utils import login_verified

pytestmark = pytest.mark.django_db


def test_issue_stores_only_a_digest_and_audits_without_the_secret(administrator):
    token, secret = api_token_issue(
        name="platform-prod", scopes=["statements", "reports"], actor=administrator
    )

    assert secret.startswith(f"tsd_{token.prefix}_")
    assert len(secret) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in json.dumps(row, default=str)
    assert row["key_hash"] == tokens.token_digest(secret)
    assert row["scopes"] == ["reports", "statements"]
    event = AuditEvent.objects.get(action="api_token.issued")
    assert (event.actor, event.target_id) == (administrator, str(token.pk))
    assert event.data == {
        "name": "platform-prod",
        "prefix": token.prefix,
        "scopes": ["reports", "statements"],
    }
    assert secret not in json.dumps(list(AuditEvent.objects.values("data")))


def test_authenticate_accepts_the_secret_and_marks_the_token_used():
    token, secret = api_token_issue(name="p", scopes=["reports"])

    found = api_token_authenticate(presented=secret)

    assert found == token
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_authenticate_compares_digests_in_constant_time(monkeypatch):
    _, secret = api_token_issue(name="p", scopes=["reports"])
    calls = []
    real = tokens.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)

    api_token_authenticate(presented=secret[:-1] + ("A" if secret[-1] != "A" else "B"))

    assert len(calls) == 1


@pytest.mark.parametrize(
    "presented",
    ["", "tsd_", "garbage", "tsd_zzzzzzzz_secret", "tsd_0123abcd_secret", "Bearer x"],
)
def test_authenticate_refuses_what_is_not_a_token(presented):
    api_token_issue(name="p", scopes=["reports"])

    assert api_token_authenticate(presented=presented) is None


def test_authenticate_refuses_a_wrong_secret_with_a_real_prefix():
    token, secret = api_token_issue(name="p", scopes=["reports"])

    assert api_token_authenticate(presented=f"tsd_{token.prefix}_not-the-secret") is None
    assert api_token_authenticate(presented=secret + "x") is None
    token.refresh_from_db()
    assert token.last_used_at is None


def test_revoked_token_is_refused_and_the_revocation_audited_once(administrator):
    token, secret = api_token_issue(name="p", scopes=["reports"])

    api_token_revoke(token=token, actor=administrator)
    api_token_revoke(token=token, actor=administrator)

    assert api_token_authenticate(presented=secret) is None
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor, event.data) == (administrator, {"name": "p", "prefix": token.prefix})


@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        ("p", ["reports", "admin"], "unknown scope"),
        ("p", [], "at least one scope"),
        ("", ["reports"], "name must be"),
        ("has space", ["reports"], "name must be"),
        ("x" * 101, ["reports"], "name must be"),
        ("taken", ["reports"], "already exists"),
    ],
)
def test_issue_refuses_bad_input_and_writes_nothing(name, scopes, message):
    api_token_issue(name="taken", scopes=["reports"])

    with pytest.raises(InvalidApiToken, match=message):
        api_token_issue(name=name, scopes=scopes)

    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(action="api_token.issued").count() == 1


def test_command_prints_the_token_once_with_the_default_scopes(capsys):
    call_command("issue_api_token", "platform-prod")

    out, err = capsys.readouterr()
    secret = out.strip()
    token = ApiToken.objects.get()
    assert api_token_authenticate(presented=secret) == token
    assert token.scopes == ["appeals", "reports", "statements"]
    assert "platform-prod" in err
    assert token.prefix in err
    assert secret not in err


def test_command_grants_the_scopes_asked_for(capsys):
    call_command("issue_api_token", "exporter", "--scope", "statements", "--scope", "statements")

    assert ApiToken.objects.get().scopes == ["statements"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["p", "--scope", "everything"], "unknown scope.*everything"),
        (["bad name!"], "name must be"),
        (["taken"], "already exists"),
    ],
)
def test_command_refuses_bad_input_with_a_clear_message(args, message):
    api_token_issue(name="taken", scopes=["reports"])

    with pytest.raises(CommandError, match=f"^No token issued: .*{message}"):
        call_command("issue_api_token", *args)

    assert ApiToken.objects.count() == 1


@pytest.fixture
def superuser_client(client):
    root = User.objects.create_superuser("root", "root@example.com", "pw-long-enough-1")
    login_verified(client, root)
    return client, root


def test_admin_lists_tokens_read_only_without_add_or_delete(superuser_client):
    client, _ = superuser_client
    token, secret = api_token_issue(name="platform-prod", scopes=["reports"])

    changelist = client.get(reverse("admin:accounts_apitoken_changelist"))
    change = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))

    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert "platform-prod" in page
    assert token.prefix in page
    assert "issue_api_token" in page
    assert secret not in page
    assert token.key_hash not in page
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    delete = client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "1"})
    assert delete.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_admin_action_revokes_selected_tokens_through_the_service(superuser_client):
    client, root = superuser_client
    first, first_secret = api_token_issue(name="one", scopes=["reports"])
    second, _ = api_token_issue(name="two", scopes=["reports"])

    response = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [first.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 token revoked." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert api_token_authenticate(presented=first_secret) is None
    assert AuditEvent.objects.get(action="api_token.revoked").actor == root
