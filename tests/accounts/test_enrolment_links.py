"""
One-time enrolment links: administrators never choose another person's password.

Issue 11: an Administrator created a Legal approver account with a password of their
choosing, signed in as it and carried a disclosure alone, and creating the account and
setting its password left no audit event. These tests try that again through every door.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import enrolment, services
from accounts.enrolment import (
    EnrolmentLinkInvalid,
    EnrolmentLinkRefused,
    PasswordRejected,
    Purpose,
    enrolment_link_issue,
    enrolment_link_use,
    token_digest,
    user_enrol,
)
from accounts.models import EnrolmentLink, User
from accounts.roles import Role
from audit.models import AuditEvent
from tests.utils import login_verified, race, race_errors, requires_postgres, set_step_up

pytestmark = pytest.mark.django_db

GOOD = "a-long-enough-passphrase-7"
OTHER_GOOD = "another-long-passphrase-8"
REFUSAL = str(EnrolmentLinkInvalid.message)
LINK = re.compile(r"http://testserver/accounts/enrol/([A-Za-z0-9_-]{43})/")


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and refusal marks live in the cache: start and leave it empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def newcomer_and_token(administrator) -> tuple[User, str]:
    return user_enrol(
        actor=administrator, username="noor", first_name="Noor", roles=[Role.MODERATOR]
    )


def admin_client(administrator, client_for) -> Client:
    client = client_for(administrator)
    set_step_up(client, age_seconds=0)
    return client


def trail_text() -> str:
    """Everything the audit trail holds, as one string to search."""
    rows = AuditEvent.objects.values(
        "action", "actor_username", "target_type", "target_id", "data", "request_id"
    )
    return json.dumps(list(rows), default=str)


def snapshot(user: User) -> tuple[Any, ...]:
    user.refresh_from_db()
    links = list(
        EnrolmentLink.objects.filter(user=user)
        .order_by("pk")
        .values_list("pk", "used_at", "revoked_at")
    )
    return user.password, links, AuditEvent.objects.count()


# --- Services: issue and use -------------------------------------------------------------------


def test_enrolment_link_issue_and_use_sets_the_password_and_spends_the_link(
    administrator, newcomer_and_token
):
    user, token = newcomer_and_token
    assert not user.has_usable_password()
    link = EnrolmentLink.objects.get(user=user)
    assert link.token_hash == token_digest(token)
    assert link.issued_by == administrator
    assert link.expires_at > timezone.now() + timedelta(hours=47)

    used = enrolment_link_use(token=token, password=GOOD, password2=GOOD)

    assert used == user
    user.refresh_from_db()
    assert user.check_password(GOOD)
    link.refresh_from_db()
    assert link.used_at is not None
    with pytest.raises(EnrolmentLinkInvalid):
        enrolment_link_use(token=token, password=OTHER_GOOD, password2=OTHER_GOOD)
    user.refresh_from_db()
    assert user.check_password(GOOD)


def test_enrolment_link_events_name_who_and_what_but_never_the_token_or_password(
    administrator, newcomer_and_token
):
    user, token = newcomer_and_token

    enrolment_link_use(token=token, password=GOOD, password2=GOOD)

    link = EnrolmentLink.objects.get(user=user)
    about = AuditEvent.objects.filter(target_type="accounts.user", target_id=str(user.pk))
    created = about.get(action="user.created")
    issued = about.get(action="user.enrolment_link_issued")
    used = about.get(action="user.enrolment_link_used")
    password_set = about.get(action="user.password_set")
    assert (created.actor, issued.actor) == (administrator, administrator)
    assert (used.actor, password_set.actor) == (user, user)
    assert {e.target_id for e in (created, issued, used, password_set)} == {str(user.pk)}
    assert issued.data["purpose"] == "enrol"
    assert issued.data["link_id"] == link.pk
    assert issued.data["expires_at"] == link.expires_at.isoformat()
    assert used.data == {"purpose": "enrol", "link_id": link.pk}
    assert password_set.data == {"usable": True}
    text = trail_text()
    for secret in (token, GOOD, token_digest(token)):
        assert secret not in text


def dead_link(kind: str, administrator: User, user: User, token: str) -> str:
    """Make `token` (or a new one) dead in the way `kind` says; returns the one to present."""
    if kind == "expired":
        EnrolmentLink.objects.filter(user=user).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif kind == "used":
        enrolment_link_use(token=token, password=GOOD, password2=GOOD)
    elif kind == "revoked":
        enrolment_link_issue(user=user, actor=administrator, purpose=Purpose.ENROL)
    elif kind == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif kind == "unknown":
        return token[:-4] + "AAAA"
    return token


@pytest.mark.parametrize("kind", ["expired", "used", "revoked", "deactivated", "unknown"])
def test_enrolment_link_use_of_a_dead_link_gets_one_generic_refusal_and_changes_nothing(
    administrator, newcomer_and_token, kind
):
    user, token = newcomer_and_token
    presented = dead_link(kind, administrator, user, token)
    before = snapshot(user)

    with pytest.raises(EnrolmentLinkInvalid) as refused:
        enrolment_link_use(token=presented, password=OTHER_GOOD, password2=OTHER_GOOD)

    assert str(refused.value) == REFUSAL
    password, links, _events = snapshot(user)
    assert (password, links) == before[:2]
    assert not user.check_password(OTHER_GOOD)


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000])
def test_enrolment_link_use_of_garbage_is_the_same_refusal(token):
    with pytest.raises(EnrolmentLinkInvalid) as refused:
        enrolment_link_use(token=token, password=GOOD, password2=GOOD)

    assert str(refused.value) == REFUSAL
    assert not AuditEvent.objects.exists()


def test_enrolment_link_use_of_a_spent_link_is_recorded_once_per_hour(newcomer_and_token):
    """Someone replaying a link its owner already used is worth knowing, once, not 1000 times."""
    user, token = newcomer_and_token
    enrolment_link_use(token=token, password=GOOD, password2=GOOD)

    for _ in range(3):
        with pytest.raises(EnrolmentLinkInvalid):
            enrolment_link_use(token=token, password=OTHER_GOOD, password2=OTHER_GOOD)

    refused = AuditEvent.objects.get(action="user.enrolment_link_refused")
    assert refused.data["reason"] == "used"
    assert refused.actor is None
    assert refused.target_id == str(user.pk)


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("short-1", "short-1", "This password is too short"),
        ("password123456", "password123456", "This password is too common"),
        ("482913570246", "482913570246", "This password is entirely numeric"),
        (GOOD, OTHER_GOOD, "The two passwords do not match"),
    ],
)
def test_enrolment_link_use_with_a_rejected_password_keeps_the_link_usable(
    newcomer_and_token, password, password2, message
):
    user, token = newcomer_and_token
    before = snapshot(user)

    with pytest.raises(PasswordRejected) as rejected:
        enrolment_link_use(token=token, password=password, password2=password2)

    assert any(message in text for text in rejected.value.messages), rejected.value.messages
    assert snapshot(user) == before
    enrolment_link_use(token=token, password=GOOD, password2=GOOD)
    user.refresh_from_db()
    assert user.check_password(GOOD)


def test_enrolment_link_issue_revokes_the_live_link_of_the_user(administrator, newcomer_and_token):
    user, first = newcomer_and_token

    second = enrolment_link_issue(user=user, actor=administrator, purpose=Purpose.ENROL)

    assert second != first
    old = EnrolmentLink.objects.get(token_hash=token_digest(first))
    assert old.revoked_at is not None
    event = AuditEvent.objects.filter(action="user.enrolment_link_issued").latest("pk")
    assert event.data["revoked_links"] == [old.pk]
    with pytest.raises(EnrolmentLinkInvalid):
        enrolment_link_use(token=first, password=GOOD, password2=GOOD)
    enrolment_link_use(token=second, password=GOOD, password2=GOOD)


def test_enrolment_link_reset_disables_the_password_and_ends_sessions_at_once(
    administrator, make_user, client_for
):
    user = make_user(Role.MODERATOR, username="mira")
    signed_in = client_for(user)

    token = enrolment_link_issue(user=user, actor=administrator, purpose=Purpose.RESET)

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not user.check_password("correct-horse-42")
    assert signed_in.get(reverse("dashboard")).status_code == 302  # signed out
    issued = AuditEvent.objects.get(action="user.enrolment_link_issued")
    assert issued.data["password_disabled"] is True
    assert AuditEvent.objects.filter(
        action="session.terminated", data__reason="password_reset"
    ).exists()
    enrolment_link_use(token=token, password=GOOD, password2=GOOD)
    user.refresh_from_db()
    assert user.check_password(GOOD)


def test_enrolment_link_use_ends_every_session_of_the_account(administrator, make_user, client_for):
    user = make_user(Role.MODERATOR, username="mira")
    token = enrolment_link_issue(user=user, actor=administrator, purpose=Purpose.RESET)
    # A session that survived somehow (say, restored from a backup) ends with the new password.
    stray = client_for(user)

    enrolment_link_use(token=token, password=GOOD, password2=GOOD)

    assert stray.get(reverse("dashboard")).status_code == 302
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all()
    )


def test_enrolment_link_issue_for_oneself_is_refused(administrator):
    with pytest.raises(EnrolmentLinkRefused, match="your own account"):
        enrolment_link_issue(user=administrator, actor=administrator, purpose=Purpose.RESET)

    administrator.refresh_from_db()
    assert administrator.has_usable_password()
    assert not EnrolmentLink.objects.exists()


def test_enrolment_link_issue_for_a_superuser_needs_a_superuser(administrator, make_user):
    root = make_user(Role.ADMINISTRATOR, username="root")
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    root.refresh_from_db()

    with pytest.raises(EnrolmentLinkRefused, match="superuser"):
        enrolment_link_issue(user=root, actor=administrator, purpose=Purpose.RESET)

    assert not EnrolmentLink.objects.exists()


def test_enrolment_link_issue_needs_an_administrator(make_user):
    moderator = make_user(Role.MODERATOR)
    other = make_user(Role.MODERATOR)

    with pytest.raises(EnrolmentLinkRefused):
        enrolment_link_issue(user=other, actor=moderator, purpose=Purpose.RESET)


def test_enrolment_link_enrol_for_an_account_already_set_up_is_refused(administrator, moderator):
    with pytest.raises(EnrolmentLinkRefused, match="reset"):
        enrolment_link_issue(user=moderator, actor=administrator, purpose=Purpose.ENROL)

    moderator.refresh_from_db()
    assert moderator.has_usable_password()


def test_enrolment_link_issue_for_a_deactivated_account_is_refused(administrator, moderator):
    User.objects.filter(pk=moderator.pk).update(is_active=False)
    moderator.refresh_from_db()

    with pytest.raises(EnrolmentLinkRefused, match="deactivated"):
        enrolment_link_issue(user=moderator, actor=administrator, purpose=Purpose.RESET)


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.ADMINISTRATOR])
def test_user_enrol_with_a_privileged_role_creates_nothing(administrator, role):
    """The issue's scenario: a new Legal approver account in one administrator's hands."""
    with pytest.raises(EnrolmentLinkRefused, match="second administrator"):
        user_enrol(actor=administrator, username="mallory", roles=[role])

    assert not User.objects.filter(username="mallory").exists()
    assert not AuditEvent.objects.filter(action="user.created", actor=administrator).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_link_at_once_set_the_password_once(make_user):
    user = services.user_create(username="noor", password=None, roles=[Role.MODERATOR])
    token = enrolment_link_issue(user=user, actor=None, purpose=Purpose.ENROL)
    passwords = [GOOD, OTHER_GOOD]
    results = race(
        *[lambda p=p: enrolment_link_use(token=token, password=p, password2=p) for p in passwords]
    )
    errors = race_errors(results, EnrolmentLinkInvalid)
    outcomes = [
        "refused" if isinstance(result, EnrolmentLinkInvalid) else password
        for result, password in zip(results, passwords, strict=True)
    ]

    assert errors == []
    assert len(outcomes) == 2
    assert outcomes.count("refused") == 1
    winner = next(o for o in outcomes if o != "refused")
    user.refresh_from_db()
    assert user.check_password(winner)
    assert AuditEvent.objects.filter(action="user.password_set").count() == 1
    assert AuditEvent.objects.filter(action="user.enrolment_link_used").count() == 1


# --- The public page ---------------------------------------------------------------------------


def enrol_url(token: str) -> str:
    return reverse("accounts:enrol", args=[token])


def test_enrolment_page_passes_no_path_as_referer_and_is_never_cached(client, newcomer_and_token):
    _user, token = newcomer_and_token

    for response in (
        client.get(enrol_url(token)),
        client.post(enrol_url(token), {"password1": "x", "password2": "y"}),
    ):
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "strict-origin"
        assert "no-store" in response["Cache-Control"]


def test_enrolment_page_looks_the_same_for_a_live_and_an_unknown_link(client, newcomer_and_token):
    _user, token = newcomer_and_token

    def page(presented: str) -> str:
        html = client.get(enrol_url(presented)).content.decode()
        # Per-response values: the CSRF token (twice) and the CSP nonce.
        html = re.sub(r'value="[^"]+"|"x-csrftoken": "[^"]+"|nonce="[^"]+"', "", html)
        return html.replace(presented, "")

    assert page(token) == page("A" * 43)
    assert "noor" not in page(token)


def test_enrolment_page_sets_the_password_and_sends_the_owner_to_sign_in(
    client, newcomer_and_token
):
    user, token = newcomer_and_token

    response = client.post(enrol_url(token), {"password1": GOOD, "password2": GOOD})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert response["Referrer-Policy"] == "strict-origin"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Your password is set" in text and "noor" in text for text in shown), shown
    user.refresh_from_db()
    assert user.check_password(GOOD)
    signed_in = client.post(reverse("accounts:login"), {"username": "noor", "password": GOOD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("dashboard")


def test_enrolment_page_refuses_a_dead_link_with_the_generic_message(
    client, administrator, newcomer_and_token
):
    user, token = newcomer_and_token
    enrolment_link_issue(user=user, actor=administrator, purpose=Purpose.ENROL)  # revokes it
    before = snapshot(user)

    response = client.post(enrol_url(token), {"password1": GOOD, "password2": GOOD})

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert snapshot(user)[:2] == before[:2]


def test_enrolment_page_shows_the_password_rules_it_broke(client, newcomer_and_token):
    user, token = newcomer_and_token

    response = client.post(enrol_url(token), {"password1": "short-1", "password2": "short-1"})

    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert EnrolmentLink.objects.get(user=user).used_at is None


def test_first_sign_in_after_the_link_goes_to_second_factor_enrolment(client):
    """A legal account (created by trusted code) gets a link; its owner must then enrol."""
    user = services.user_create(username="lena", password=None, roles=[Role.LEGAL_OFFICER])
    token = enrolment_link_issue(user=user, actor=None, purpose=Purpose.ENROL)
    client.post(enrol_url(token), {"password1": GOOD, "password2": GOOD})

    client.post(reverse("accounts:login"), {"username": "lena", "password": GOOD})
    response = client.get(reverse("disclosures:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa"))


def test_enrolment_page_signs_out_a_session_of_the_same_account(client_for):
    user = services.user_create(username="mira", password="correct-horse-42", roles=[])
    token = enrolment_link_issue(user=user, actor=None, purpose=Purpose.RESET)
    own = client_for(user)  # signed in again somehow, then opens the link

    response = own.post(enrol_url(token), {"password1": GOOD, "password2": GOOD})

    assert response.status_code == 302
    assert "_auth_user_id" not in own.session
    assert own.get(reverse("dashboard"))["Location"].startswith(reverse("accounts:login"))


def test_enrolment_page_is_rate_limited_per_client_address(client, settings, newcomer_and_token):
    settings.ENROLMENT_RATE_LIMIT = 3
    _user, token = newcomer_and_token
    url = enrol_url(token)

    answers = [client.get(url, REMOTE_ADDR="198.51.100.7").status_code for _ in range(3)]
    limited = client.post(url, {"password1": GOOD, "password2": GOOD}, REMOTE_ADDR="198.51.100.7")
    elsewhere = client.get(url, REMOTE_ADDR="203.0.113.9")

    assert answers == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited["Referrer-Policy"] == "strict-origin"
    assert EnrolmentLink.objects.get(token_hash=token_digest(token)).used_at is None
    assert elsewhere.status_code == 200


# --- The admin ---------------------------------------------------------------------------------

ADD = reverse("admin:accounts_user_add")
CHANGELIST = reverse("admin:accounts_user_changelist")


def add_data(**changes: Any) -> dict[str, Any]:
    data = {
        "username": "noor",
        "first_name": "Noor",
        "last_name": "Haddad",
        "email": "noor@example.org",
        "roles": [Role.MODERATOR.value],
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_admin_add_form_asks_for_no_password(administrator, client_for):
    page = admin_client(administrator, client_for).get(ADD).content.decode()

    assert 'name="username"' in page
    assert 'name="email"' in page
    assert 'name="roles"' in page
    for field in ("password1", "password2", "usable_password", "is_superuser", "groups"):
        assert f'name="{field}"' not in page
    assert Role.LEGAL_APPROVER.value not in page


def test_admin_add_creates_an_account_without_password_and_shows_its_link_once(
    administrator, client_for
):
    client = admin_client(administrator, client_for)

    response = client.post(ADD, add_data(password1="chosen-by-admin-1", usable_password="true"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    token = LINK.search(page).group(1)
    assert "out of band" in page
    user = User.objects.get(username="noor")
    assert not user.has_usable_password()
    assert not user.check_password("chosen-by-admin-1")
    assert (user.email, user.role_names) == ("noor@example.org", [Role.MODERATOR.value])
    assert EnrolmentLink.objects.get(user=user).token_hash == token_digest(token)
    assert AuditEvent.objects.filter(action="user.created", actor=administrator).exists()
    assert AuditEvent.objects.filter(
        action="user.enrolment_link_issued", actor=administrator, target_id=str(user.pk)
    ).exists()
    for url in (reverse("admin:accounts_user_change", args=[user.pk]), CHANGELIST):
        assert token not in client.get(url).content.decode()
    enrolment_link_use(token=token, password=GOOD, password2=GOOD)


def test_admin_add_with_a_privileged_role_creates_nothing(administrator, client_for):
    client = admin_client(administrator, client_for)

    response = client.post(ADD, add_data(roles=[Role.LEGAL_APPROVER.value]))

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not User.objects.filter(username="noor").exists()
    assert not EnrolmentLink.objects.exists()


def test_admin_add_cannot_make_a_superuser_or_give_groups(administrator, client_for):
    client = admin_client(administrator, client_for)
    admins = Group.objects.get(name=Role.ADMINISTRATOR)

    client.post(ADD, add_data(is_superuser="on", is_staff="on", groups=[admins.pk]))

    user = User.objects.get(username="noor")
    assert not user.is_superuser
    assert user.role_names == [Role.MODERATOR.value]


def test_admin_add_with_a_taken_username_in_other_case_creates_nothing(
    administrator, client_for, moderator
):
    client = admin_client(administrator, client_for)

    response = client.post(ADD, add_data(username=moderator.username.upper()))

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not EnrolmentLink.objects.exists()


PASSWORD_PAGE = "admin:auth_user_password_change"


def test_admin_password_page_refuses_to_set_a_password(administrator, client_for, moderator):
    client = admin_client(administrator, client_for)
    url = reverse(PASSWORD_PAGE, args=[moderator.pk])

    page = client.get(url)
    response = client.post(
        url,
        {
            "usable_password": "true",
            "password1": "chosen-by-admin-1",
            "password2": "chosen-by-admin-1",
            "set-password": "Change password",
        },
    )

    assert page.status_code == 200
    assert "never set another person" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()
    assert "Issue a password reset link" in page.content.decode()
    assert response.status_code == 403
    moderator.refresh_from_db()
    assert moderator.check_password("correct-horse-42")
    assert not EnrolmentLink.objects.exists()


def test_admin_password_page_issues_a_reset_link(administrator, client_for, moderator):
    client = admin_client(administrator, client_for)

    response = client.post(reverse(PASSWORD_PAGE, args=[moderator.pk]), {"issue_reset_link": "1"})

    assert response.status_code == 200
    token = LINK.search(response.content.decode()).group(1)
    moderator.refresh_from_db()
    assert not moderator.has_usable_password()
    link = EnrolmentLink.objects.get(user=moderator)
    assert (link.purpose, link.issued_by) == (Purpose.RESET, administrator)
    enrolment_link_use(token=token, password=GOOD, password2=GOOD)


def test_admin_password_page_for_oneself_offers_no_link(administrator, client_for):
    client = admin_client(administrator, client_for)
    url = reverse(PASSWORD_PAGE, args=[administrator.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"issue_reset_link": "1"})

    assert "issue_reset_link" not in page
    assert reverse("accounts:password_change") in page
    assert response.status_code == 403
    assert not EnrolmentLink.objects.exists()
    administrator.refresh_from_db()
    assert administrator.has_usable_password()


def reset_action(client: Client, *users: User):
    return client.post(
        CHANGELIST,
        {"action": "issue_password_reset_link", "_selected_action": [u.pk for u in users]},
    )


def test_admin_reset_action_issues_a_link_for_one_user(administrator, client_for, moderator):
    response = reset_action(admin_client(administrator, client_for), moderator)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = LINK.search(response.content.decode()).group(1)
    assert EnrolmentLink.objects.get(user=moderator).token_hash == token_digest(token)
    assert AuditEvent.objects.get(action="user.enrolment_link_issued").data["purpose"] == "reset"


def test_admin_reset_action_for_two_users_issues_nothing(administrator, client_for, make_user):
    response = reset_action(
        admin_client(administrator, client_for), make_user(Role.MODERATOR), make_user()
    )

    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("exactly one user" in text for text in shown), shown
    assert not EnrolmentLink.objects.exists()


def test_admin_reset_action_for_oneself_issues_nothing(administrator, client_for):
    response = reset_action(admin_client(administrator, client_for), administrator)

    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("your own account" in text for text in shown), shown
    assert not EnrolmentLink.objects.exists()
    administrator.refresh_from_db()
    assert administrator.has_usable_password()


def test_admin_reset_action_without_fresh_step_up_issues_nothing(
    administrator, client_for, moderator
):
    client = login_verified(Client(), administrator)
    set_step_up(client, age_seconds=None)

    response = reset_action(client, moderator)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))
    assert not EnrolmentLink.objects.exists()
    moderator.refresh_from_db()
    assert moderator.has_usable_password()


# --- The operations command --------------------------------------------------------------------


def test_issue_enrolment_link_command_prints_the_path_once_and_is_audited():
    user = services.user_create(username="first-admin", password=None, roles=[])
    out, err = io.StringIO(), io.StringIO()

    call_command("issue_enrolment_link", "first-admin", stdout=out, stderr=err)

    path = out.getvalue().strip()
    token = re.fullmatch(r"/accounts/enrol/([A-Za-z0-9_-]{43})/", path).group(1)
    assert token not in err.getvalue()
    event = AuditEvent.objects.get(action="user.enrolment_link_issued")
    assert (event.actor, event.target_id, event.data["purpose"]) == (None, str(user.pk), "enrol")
    assert token not in trail_text()
    enrolment_link_use(token=token, password=GOOD, password2=GOOD)


def test_issue_enrolment_link_command_reset_and_refusals(moderator):
    with pytest.raises(CommandError, match="already been set up"):
        call_command("issue_enrolment_link", moderator.username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No account"):
        call_command("issue_enrolment_link", "ghost", stdout=io.StringIO())

    call_command(
        "issue_enrolment_link",
        moderator.username,
        "--reset",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    moderator.refresh_from_db()
    assert not moderator.has_usable_password()
    assert EnrolmentLink.objects.get(user=moderator).purpose == Purpose.RESET


def test_the_purpose_for_an_account_never_set_up_is_enrol(moderator):
    fresh = services.user_create(username="fresh", password=None)

    assert enrolment.enrolment_purpose_for(user=fresh) == Purpose.ENROL
    assert enrolment.enrolment_purpose_for(user=moderator) == Purpose.RESET
