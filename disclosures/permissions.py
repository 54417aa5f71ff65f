"""Who may do what in the disclosure workflow (role level; per-request rules are in services)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _has(user: User | AnonymousUser, perm: str) -> bool:
    return bool(user.is_active and user.has_perm(perm))


def can_view_requests(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.view_requests")


def can_prepare(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.prepare_requests")


def can_approve(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.approve_requests")


def can_release(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.release_packages")


def can_manage_authorities(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.manage_authorities")


def can_unmask(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.unmask_pii")


def can_view_transparency(user: User | AnonymousUser) -> bool:
    return _has(user, "disclosures.view_transparency_report")
