"""Demo staff accounts: one per role, with the names the README and `make run` print."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts import services
from accounts.models import User
from accounts.roles import Role

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
    """Create the demo users that are missing; never touches existing ones. Returns how many."""
    existing = set(
        User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    created = 0
    for username, first, last, roles in DEMO_USERS:
        if username in existing:
            continue
        services.user_create(
            username=username,
            password=settings.DEMO_PASSWORD,
            roles=roles,
            email=f"{username}@tsdash.example",
            first_name=first,
            last_name=last,
        )
        created += 1
    return created
