"""Audit actions of signals.governance (imported by signals.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("detector.mode_changed", _("Detector mode changed")),
        ("automation.rule_changed", _("Automatic-action rule changed")),
        ("automation.decided", _("Case decided by an automatic action")),
        ("automation.reviewed", _("Automatic action reviewed")),
    ]
)
