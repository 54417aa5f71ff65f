"""
Service tokens: how the platform's back end authenticates to the intake API.

Only a SHA-256 digest of each token is stored. Tokens carry 256 random bits, so a fast
unsalted hash is enough (there is nothing to brute-force), and the public prefix lets the
row be found by an index lookup before the digest is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    REPORTS = "reports", _("Submit reports")
    STATEMENTS = "statements", _("Read statements of reasons")
    APPEALS = "appeals", _("Submit appeals")
    SUBSCRIBER_DATA = "subscriber_data", _("Subscriber data")
    MEDIA = "media", _("Send reported media")
    SEARCH_POLICY = "search_policy", _("Read the search policy")


SCOPES = frozenset(Scope.values)
DEFAULT_SCOPES = (Scope.REPORTS, Scope.STATEMENTS, Scope.APPEALS)

_TAG = "tsd"  # what every token starts with, so leaked ones are easy to scan for
PREFIX_LENGTH = 8  # hex characters


def token_digest(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8", "surrogatepass")).hexdigest()


def token_generate() -> tuple[str, str]:
    """A fresh (prefix, token) pair; the token is `tsd_<prefix>_<secret>`."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{_TAG}_{prefix}_{secrets.token_urlsafe(32)}"


def token_prefix(presented: str) -> str | None:
    """The public prefix of a presented token, or None when it is not shaped like one."""
    head = f"{_TAG}_"
    end = len(head) + PREFIX_LENGTH
    if not presented.startswith(head) or len(presented) <= end + 1 or presented[end] != "_":
        return None
    prefix = presented[len(head) : end]
    if any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix


class ApiToken(models.Model):
    """A named credential for one calling system, limited to the scopes it was issued."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, unique=True)
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        # Issued by a management command, never added or deleted through the admin.
        default_permissions = ("view",)
        permissions = [("revoke_apitoken", _("Can revoke API tokens"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def matches(self, presented: str) -> bool:
        return hmac.compare_digest(self.key_hash, token_digest(presented))

    def allows(self, scope: str) -> bool:
        return scope in self.scopes
