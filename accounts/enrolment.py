"""
One-time enrolment links: the only way a password is set for someone else's account.

An administrator never chooses another person's password. A new account is created without
one and gets a link where its owner sets it; a password reset works the same way. Only the
link's SHA-256 is stored, so the clear token exists in the issuing response alone (the
administrator delivers it out of band). A link expires after ENROLMENT_LINK_HOURS, works
once, and a newer link for the same account revokes the older one. Issuing, using and
replaying a dead link are audited (user.enrolment_link_issued / _used / _refused), and so is
the password change itself (user.password_set, by the save handler in accounts.signals);
the token and the password never are.

A reset makes the current password unusable at once and ends the account's sessions: resets
are asked for because a password is forgotten (then it is useless anyway) or may be known to
someone else (then it must stop working now, not when the owner gets round to the link).

Lock order is always the user row, then the link rows, so that issuing and using at once
cannot deadlock.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import audit
from accounts.models import EnrolmentLink, User
from accounts.roles import PRIVILEGED_ROLES, Role
from accounts.services import user_create
from accounts.session_policy import sessions_terminate

Purpose = EnrolmentLink.Purpose

TOKEN_BYTES = 32
# A presented token longer than this is not one of ours (token_urlsafe(32) is 43 characters).
MAX_TOKEN_LENGTH = 128
# A dead link presented again is recorded at most once per link in this many seconds, so that
# a replayed link cannot fill the trail.
REFUSAL_RECORD_EVERY_SECONDS = 3600


class EnrolmentLinkRefused(Exception):
    """The link cannot be issued as asked; the message says why, for the administrator."""


class EnrolmentLinkInvalid(Exception):
    """
    The presented link is unknown, expired, used or revoked. One exception and one message
    for all of these, so the page is no oracle for which links exist.
    """

    message = gettext_lazy(
        "This link cannot be used. It may have expired, been used already or been replaced "
        "by a newer one. Ask an administrator for a new link."
    )


class PasswordRejected(ValueError):
    """The new password does not meet the password rules; the link stays usable."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex (the token has 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def unprivileged_roles() -> list[Role]:
    """
    Roles an account may be created with directly; privileged roles are granted afterwards
    through a role-grant request that a second administrator approves.
    """
    return [role for role in Role if role not in PRIVILEGED_ROLES]


def enrolment_link_expires_at(*, token: str) -> datetime | None:
    """When the link for `token` expires (None for an unknown token), to show the issuer."""
    return (
        EnrolmentLink.objects.filter(token_hash=token_digest(token))
        .values_list("expires_at", flat=True)
        .first()
    )


def enrolment_purpose_for(*, user: User) -> str:
    """
    The purpose of a link an administrator issues for `user`: an account that was never set
    up (no password and never signed in) is still enrolling; any other is being reset.
    """
    if user.last_login is None and not user.has_usable_password():
        return Purpose.ENROL
    return Purpose.RESET


def _save_password(user: User, *, actor: User | None) -> None:
    # The save handler (accounts.signals) records user.password_set, never the password;
    # it is told who acted, which the request context cannot know for the public page.
    user._audit_actor = actor  # type: ignore[attr-defined]
    try:
        user.save(update_fields=["password"])
    finally:
        user._audit_actor = None  # type: ignore[attr-defined]


# --- Issuing -----------------------------------------------------------------------------------


def _check_may_issue(*, user: User, actor: User | None, purpose: str) -> None:
    if actor is not None:
        if not actor.has_perm("accounts.change_user"):
            raise EnrolmentLinkRefused(_("You may not issue links for accounts."))
        if actor.pk == user.pk:
            raise EnrolmentLinkRefused(
                _(
                    "You cannot issue a link for your own account. Change your password on "
                    "your account's password page."
                )
            )
        if user.is_superuser and not actor.is_superuser:
            raise EnrolmentLinkRefused(
                _("Only a superuser may issue a link for a superuser's account.")
            )
    if not user.is_active:
        raise EnrolmentLinkRefused(_("This account is deactivated: reactivate it first."))
    if purpose == Purpose.ENROL and (user.has_usable_password() or user.last_login):
        raise EnrolmentLinkRefused(
            _("This account has already been set up: issue a password reset link instead.")
        )


def _issue(*, user: User, actor: User | None, purpose: str) -> str:
    try:
        purpose = Purpose(purpose)
    except ValueError as exc:
        raise EnrolmentLinkRefused(_("Unknown purpose for a link.")) from exc
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_may_issue(user=user, actor=actor, purpose=purpose)

    now = timezone.now()
    live = EnrolmentLink.objects.select_for_update().filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    )
    revoked = sorted(live.values_list("pk", flat=True))
    if revoked:
        EnrolmentLink.objects.filter(pk__in=revoked).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = EnrolmentLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_digest(token),
        issued_by=actor,
        expires_at=now + timedelta(hours=settings.ENROLMENT_LINK_HOURS),
    )
    password_disabled = purpose == Purpose.RESET and user.has_usable_password()
    if password_disabled:
        user.set_unusable_password()
        _save_password(user, actor=actor)
    audit.record(
        action="user.enrolment_link_issued",
        actor=actor,
        target=user,
        data={
            "purpose": str(purpose),
            "link_id": link.pk,
            "expires_at": link.expires_at.isoformat(),
            "revoked_links": revoked,
            "password_disabled": password_disabled,
        },
    )
    if purpose == Purpose.RESET:
        if actor is not None and actor.pk != user.pk:
            # Recovery by an administrator: privileged roles come back only through grants
            # a second administrator approves (see services_grants.privileged_roles_suspend).
            from accounts.services_grants import privileged_roles_suspend

            privileged_roles_suspend(user=user, actor=actor, reason="password_reset")
        sessions_terminate(user=user, reason="password_reset")
    return token


@transaction.atomic(durable=True)
def enrolment_link_issue(*, user: User, actor: User | None, purpose: str) -> str:
    """
    Issue a one-time link for `user` and return its token, the only time it exists in clear.

    `actor` is the administrator (None for the operations command). Any live link of the
    user is revoked. A "reset" link also makes the current password unusable and ends the
    user's sessions (see the module docstring); an "enrol" link is for an account that was
    never set up. Nobody issues a link for their own account, and only a superuser issues one
    for a superuser.
    """
    return _issue(user=user, actor=actor, purpose=purpose)


@transaction.atomic(durable=True)
def user_enrol(
    *,
    actor: User | None,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[Role | str] = (),
) -> tuple[User, str]:
    """
    Create an account without a password, with unprivileged roles only, and issue its
    enrolment link; returns the user and the link's token (shown once to the administrator).
    """
    if actor is not None and not actor.has_perm("accounts.add_user"):
        raise EnrolmentLinkRefused(_("You may not create accounts."))
    wanted = [Role(role) for role in roles]
    privileged = sorted(role.value for role in wanted if role in PRIVILEGED_ROLES)
    if privileged:
        raise EnrolmentLinkRefused(
            _(
                "%(roles)s can only be granted after the account exists, through a role grant "
                "that a second administrator approves."
            )
            % {"roles": ", ".join(privileged)}
        )
    user = user_create(
        username=username,
        password=None,
        roles=wanted,
        email=email,
        first_name=first_name,
        last_name=last_name,
        actor=actor,
    )
    return user, _issue(user=user, actor=actor, purpose=Purpose.ENROL)


# --- Using -------------------------------------------------------------------------------------


def _dead_reason(link: EnrolmentLink, user: User, now: datetime) -> str | None:
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if not user.is_active:
        return "account_disabled"
    return None


@transaction.atomic(durable=True)
def _link_use(*, token: str, password: str, password2: str) -> User | None:
    # Returns None for a refused link instead of raising, so that the refusal's event is
    # committed; a rejected password raises, and nothing is written.
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = EnrolmentLink.objects.filter(token_hash=token_digest(token)).only("user_id").first()
    if found is None:
        return None
    user = User.objects.select_for_update().get(pk=found.user_id)
    link = EnrolmentLink.objects.select_for_update().get(pk=found.pk)
    now = timezone.now()
    if reason := _dead_reason(link, user, now):
        if cache.add(f"enrolment-refused:{link.pk}", 1, timeout=REFUSAL_RECORD_EVERY_SECONDS):
            audit.record(
                action="user.enrolment_link_refused",
                actor=None,
                target=user,
                data={"purpose": link.purpose, "link_id": link.pk, "reason": reason},
            )
        return None

    if password != password2:
        raise PasswordRejected([_("The two passwords do not match.")])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise PasswordRejected(exc.messages) from exc

    user.set_password(password)
    _save_password(user, actor=user)
    link.used_at = now
    link.save(update_fields=["used_at"])
    audit.record(
        action="user.enrolment_link_used",
        actor=user,
        target=user,
        data={"purpose": link.purpose, "link_id": link.pk},
    )
    sessions_terminate(user=user, reason="password_set")
    return user


def enrolment_link_use(
    *, token: str, password: str, password2: str, request: HttpRequest | None = None
) -> User:
    """
    Set the password of the link's account and spend the link, in one transaction.

    The link is re-read under a row lock, so of two uses of one token exactly one succeeds.
    An unknown, expired, used or revoked link raises EnrolmentLinkInvalid (one message for
    all); a password that fails the password rules raises PasswordRejected and the link
    stays usable. Every session of the account ends; when `request` is signed in as that
    account, it is signed out too, so the owner signs in afresh with the new password.
    """
    user = _link_use(token=token, password=password, password2=password2)
    if user is None:
        raise EnrolmentLinkInvalid(str(EnrolmentLinkInvalid.message))
    if request is not None and getattr(request.user, "pk", None) == user.pk:
        logout(request)
    return user
