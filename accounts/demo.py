"""Demo staff accounts: one per role, with the names the README and `make run` print."""

from __future__ import annotations

from base64 import b32decode

from django.conf import settings
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, second_factor, services
from accounts.models import User
from accounts.roles import Role

DEMO_DEVICE_NAME = "Demo authenticator"

DEMO_USERS: tuple[tuple[str, str, str, tuple[Role, ...]], ...] = (
    ("moderator", "Mina", "Okafor", (Role.MODERATOR,)),
    ("moderator2", "Jonas", "Berg", (Role.MODERATOR,)),
    ("senior", "Sofia", "Marchetti", (Role.SENIOR_MODERATOR,)),
    ("legal", "Louise", "Garnier", (Role.LEGAL_OFFICER,)),
    ("legal2", "Marc", "Lefèvre", (Role.LEGAL_OFFICER,)),
    ("approver", "Anton", "Weber", (Role.LEGAL_APPROVER,)),
    ("approver2", "Ines", "Duarte", (Role.LEGAL_APPROVER,)),
    ("auditor", "Aiko", "Tanaka", (Role.AUDITOR,)),
    ("admin", "Ada", "Nowak", (Role.ADMINISTRATOR,)),
)


@transaction.atomic
def seed_users() -> int:
    """
    Create the demo users that are missing (existing ones keep their password and roles) and
    give those whose role requires two steps the demo authenticator when they have no second
    factor. Returns how many users were created.
    """
    existing = {
        user.username: user for user in User.objects.filter(username__in=[u[0] for u in DEMO_USERS])
    }
    created = 0
    for username, first, last, roles in DEMO_USERS:
        user = existing.get(username)
        if user is None:
            user = services.user_create(
                username=username,
                password=settings.DEMO_PASSWORD,
                roles=roles,
                email=f"{username}@tsdash.example",
                first_name=first,
                last_name=last,
            )
            created += 1
        if second_factor.required_for(user) and not mfa.has_enrolled_factor(user=user):
            # The role cannot sign in without a second factor: the demo gives it one whose
            # key is published, so anyone trying the demo can add it to an app.
            TOTPDevice.objects.create(
                user=user, name=DEMO_DEVICE_NAME, key=demo_totp_key_hex(), confirmed=True
            )
    return created


def demo_totp_key_hex() -> str:
    secret = settings.DEMO_TOTP_SECRET.replace(" ", "").upper()
    return b32decode(secret + "=" * (-len(secret) % 8)).hex()


def demo_code() -> str:
    """The code the demo authenticator shows now (demo mode only; see `manage.py demo_code`)."""
    if not settings.DEMO_MODE:
        raise PermissionError("the demo authenticator exists only in demo mode")
    totp = TOTP(bytes.fromhex(demo_totp_key_hex()))
    return f"{totp.token():06d}"
