"""
The auditor's widget on the dashboard (accounts.dashboard finds this module).

The state of the trail at a glance: the last integrity verification and its result, and
the events the sealer has yet to put in the Merkle log (the alarms are counted beside the
panels that raise them). Each line reads in a constant number of indexed queries (see
audit.log.backlog).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.dashboard import TodoItem, Widget, register
from audit import alarms, log
from audit.models import AuditVerification

if TYPE_CHECKING:
    from accounts.models import User


def _verification_item() -> TodoItem:
    latest = AuditVerification.objects.order_by("-id").first()
    url = reverse("audit:integrity")
    if latest is None:
        return TodoItem(
            key="integrity",
            label=_("Integrity never verified"),
            count=None,
            url=url,
            detail=_("Run a verification from the integrity page."),
            tone="warn",
        )
    when = latest.finished_at or latest.started_at
    tone = "danger" if latest.status == AuditVerification.Status.FAILED else "normal"
    return TodoItem(
        key="integrity",
        label=gettext("Last verification: %(result)s") % {"result": latest.get_status_display()},
        count=None,
        url=url,
        detail=date_format(timezone.localtime(when), "Y-m-d H:i") + " UTC",
        tone=tone,
    )


def _auditor_items(user: User) -> list[TodoItem]:
    # The alarms are the panels the dashboard shows below the widgets (audit.alarms), counted
    # by the view from the panels it has already read: reading them twice would cost twice.
    backlog = log.backlog()
    return [
        _verification_item(),
        TodoItem(
            key="unsealed",
            label=_("Events not yet sealed"),
            count=backlog.unsealed,
            url=reverse("audit:integrity"),
            detail=(
                gettext("%(n)d past the maximum merge delay") % {"n": backlog.overdue}
                if backlog.overdue
                else ""
            ),
            tone="danger" if backlog.overdue else "normal",
        ),
    ]


register(
    Widget(
        key="audit-integrity",
        title=_("Audit trail"),
        order=800,
        predicate=alarms.can_see_alarms,
        items=_auditor_items,
    )
)
