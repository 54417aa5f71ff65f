"""Issuing, revoking and checking the service tokens of the platform-facing API."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts.tokens import SCOPES, ApiToken, token_digest, token_generate, token_prefix

if TYPE_CHECKING:
    from accounts.models import User

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class InvalidApiToken(ValueError):
    """The token cannot be issued as asked (bad name, unknown scope, name taken)."""


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidApiToken(
            f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(sorted(SCOPES))}"
        )
    if not wanted:
        raise InvalidApiToken("a token needs at least one scope")
    return wanted


@transaction.atomic(durable=True)
def api_token_issue(
    *, name: str, scopes: Iterable[str], actor: User | None = None
) -> tuple[ApiToken, str]:
    """
    Create a token and return it with its secret, which is shown this once and never stored.

    The audit event names the token and its scopes, never the secret.
    """
    if not _NAME.match(name or ""):
        raise InvalidApiToken(
            "the name must be 1-100 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit"
        )
    clean = _clean_scopes(scopes)
    if ApiToken.objects.filter(name=name).exists():
        raise InvalidApiToken(f"a token named {name!r} already exists")
    prefix, secret = token_generate()
    while ApiToken.objects.filter(prefix=prefix).exists():  # 1 in 4 billion
        prefix, secret = token_generate()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name, prefix=prefix, key_hash=token_digest(secret), scopes=clean
            )
    except IntegrityError as exc:  # the same name issued twice at once
        raise InvalidApiToken(f"a token named {name!r} already exists") from exc
    audit.record(
        action="api_token.issued",
        actor=actor,
        target=token,
        data={"name": name, "prefix": prefix, "scopes": clean},
    )
    return token, secret


@transaction.atomic(durable=True)
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Refuse the token from now on; revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        action="api_token.revoked",
        actor=actor,
        target=token,
        data={"name": token.name, "prefix": token.prefix},
    )
    return token


def api_token_authenticate(*, presented: str) -> ApiToken | None:
    """
    The active token matching what a client presented, or None.

    The row is found by its public prefix, then the digests are compared in constant time,
    so response times say nothing about the secret. Marks the token as just used.
    """
    prefix = token_prefix(presented)
    if prefix is None:
        return None
    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None or not token.matches(presented) or not token.is_active:
        return None
    token.last_used_at = timezone.now()
    # A plain UPDATE (no lock, no audit event): usage bookkeeping, not a change of state.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token
