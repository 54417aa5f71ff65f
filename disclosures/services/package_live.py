"""
One live package per request: a new build, or a request sent back to review, supersedes the
unreleased package it had, and the superseded file is deleted as soon as that commits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from disclosures.models import LegalRequest, ReleasePackage
from disclosures.services.workflow import package_transition

if TYPE_CHECKING:
    from accounts.models import User


def _unlink_after_commit(paths: list[str]) -> None:
    root = Path(settings.PRIVATE_STORAGE_DIR).resolve()

    def unlink() -> None:
        for relative in paths:
            path = (root / relative).resolve()
            if path.is_relative_to(root / "packages"):
                path.unlink(missing_ok=True)

    transaction.on_commit(unlink)


def packages_supersede(*, legal_request: LegalRequest, actor: User, reason: str) -> list[int]:
    """
    Mark the request's unreleased packages superseded and purge their files once this
    commits. Runs in the caller's transaction, with the request locked.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("packages_supersede must run inside the caller's transaction")
    live = list(
        ReleasePackage.objects.select_for_update()
        .filter(request=legal_request, status__in=ReleasePackage.LIVE)
        .order_by("pk")
    )
    if not live:
        return []
    now = timezone.now()
    paths = [p.storage_path for p in live if p.storage_path]
    for package in live:
        package.purged_at = now
        package.storage_path = ""
        package_transition(
            package=package,
            to=ReleasePackage.Status.SUPERSEDED,
            fields=("purged_at", "storage_path"),
        )
        audit.record(
            action="package.superseded",
            actor=actor,
            target=legal_request,
            data={
                "package": package.pk,
                "manifest_sha256": package.manifest_sha256,
                "reason": reason,
            },
        )
    _unlink_after_commit(paths)
    return [p.pk for p in live]
