"""How the audit trail names and links moderation's targets (see audit/targets.py)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from audit.targets import TargetKind, register
from moderation import permissions
from moderation.models import Report

_CASE = re.compile(r"^(?:case\s*)?#?\s*(\d{1,18})$", re.IGNORECASE)
_APPEAL = re.compile(r"^appeal\s*#?\s*(\d{1,18})$", re.IGNORECASE)


def _case_ids(text: str) -> list[str]:
    match = _CASE.match(text)
    return [match.group(1)] if match else []


def _appeal_ids(text: str) -> list[str]:
    match = _APPEAL.match(text)
    return [match.group(1)] if match else []


def _report_ids(text: str) -> list[str]:
    # The platform's id of a report (its idempotency key) finds the report's own events.
    return [str(pk) for pk in Report.objects.filter(external_id=text).values_list("pk", flat=True)]


register(
    TargetKind(
        "moderation.case",
        _("Case"),
        url_name="moderation:case",
        can_open=permissions.can_view_case,
        find=_case_ids,
    ),
    TargetKind(
        "moderation.appeal",
        _("Appeal"),
        url_name="moderation:appeal",
        can_open=permissions.can_decide_appeals,
        find=_appeal_ids,
    ),
    TargetKind("moderation.report", _("Report"), find=_report_ids),
    TargetKind("moderation.platformaccount", _("Platform account")),
    TargetKind("moderation.reporter", _("Reporter")),
    TargetKind("moderation.decision", _("Decision")),
    TargetKind("moderation.bulkjob", _("Bulk job")),
    TargetKind("moderation.media", _("Reported media")),
    TargetKind("moderation.replytemplate", _("Reply template")),
    TargetKind("moderation.transparencyreport", _("Moderation transparency report")),
)
