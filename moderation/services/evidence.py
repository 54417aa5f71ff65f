"""Looking at evidence that can hurt: every reveal of guarded media is recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

import audit
from moderation.models import Report

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic(durable=True)
def media_reveal(*, report: Report, actor: User) -> None:
    assert report.case_id is not None  # reached through its case's page
    audit.record(
        action="media.revealed",
        actor=actor,
        target_type="moderation.case",
        target_id=report.case_id,
        data={"report": report.pk, "media_sha256": report.media_sha256},
    )
