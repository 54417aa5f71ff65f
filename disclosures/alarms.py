"""The disclosure app's panels on the auditor's pages (found by audit.alarms)."""

from __future__ import annotations

from audit.alarms import AlarmPanel, register
from disclosures.selectors.package_integrity import package_integrity_oversight
from disclosures.selectors.unmask import unmask_oversight


@register
def pii_unmasks() -> AlarmPanel:
    """Unmaskings per user, and attempts refused by the hourly limit (the alarm)."""
    oversight = unmask_oversight()
    return AlarmPanel(
        template="disclosures/subscribers/_unmask_oversight.html",
        context={"oversight": oversight},
        alarming=oversight.alarming,
    )


@register
def package_integrity() -> AlarmPanel:
    """Stored release packages found damaged when read back."""
    oversight = package_integrity_oversight()
    return AlarmPanel(
        template="disclosures/release/_integrity_alarm.html",
        context={"oversight": oversight},
        alarming=oversight.alarming,
    )
