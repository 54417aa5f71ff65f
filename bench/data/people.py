"""The staff the measurements act as, and the platform's accounts and reporters."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bench.data.base import ADMIN, MODERATORS, PASSWORD, SENIOR, Copier, Facts, max_id, weighted

# --- users ----------------------------------------------------------------------------------


def users(facts: Facts) -> None:
    """The staff the measurements act as, with their roles granted as the accounts app does."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_create

    for name in MODERATORS:
        facts.moderators.append(
            user_create(username=name, password=PASSWORD, roles=[Role.MODERATOR]).pk
        )
    facts.senior = user_create(
        username=SENIOR, password=PASSWORD, roles=[Role.MODERATOR, Role.SENIOR_MODERATOR]
    ).pk
    admin = user_create(username=ADMIN, password=PASSWORD, roles=[Role.ADMINISTRATOR])
    # Superuser like `createsuperuser`: trusted code, no grant to approve.
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    facts.admin = admin.pk


def logged_in_client(username: str) -> Any:
    """
    A test Client signed in as `username` past the project's login and second-step policy:
    as tests.utils.login_verified, a confirmed authenticator for those who need one, the
    verified device in the session, and a fresh step-up (the admin asks for one).
    """
    import time as _time

    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import mfa, reauth, second_factor
    from accounts.models import User

    user = User.objects.get(username=username)
    client = Client()
    device = None
    if second_factor.required_for(user) or mfa.has_second_factor(user=user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name="Bench authenticator", confirmed=True
            )
    client.force_login(user)
    session = client.session
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[reauth.SESSION_KEY] = int(_time.time())
    session.save()
    return client


# --- platform accounts and reporters -------------------------------------------------------


def accounts(want: dict[str, int], facts: Facts, rng: random.Random) -> None:
    from moderation.models import PlatformAccount, Reporter

    now = facts.now
    start = max_id(PlatformAccount) + 1
    kinds = weighted(rng, {"user": 90, "bot": 4, "business": 6})
    copier = Copier(
        PlatformAccount,
        ["id", "platform_id", "username", "display_name", "kind", "first_seen_at"],
        now,
    )
    copier.copy(
        (
            (
                pk,
                f"acct-{pk}",
                f"user{pk}",
                f"User {pk}",
                kinds(),
                now - timedelta(days=rng.randrange(1, 2000)),
            )
            for pk in range(start, start + want["accounts"])
        ),
        facts.load,
    )
    facts.prolific_author = start
    facts.accounts = (start, start + want["accounts"] - 1)
    reporters = Copier(Reporter, ["id", "platform_id", "reports_resolved", "reports_actioned"], now)
    first = max_id(Reporter) + 1

    def reporter_rows() -> Iterator[tuple[Any, ...]]:
        for pk in range(first, first + want["reporters"]):
            resolved = rng.choice((0, 0, 0, 1, 2, 5, 12, 40))
            yield (pk, f"reporter-{pk}", resolved, rng.randint(0, resolved))

    reporters.copy(reporter_rows(), facts.load)
    facts.reporters = (first, first + want["reporters"] - 1)
