"""Audit actions of signals.neardup (imported by signals.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("neardup.group_formed", _("Near-duplicate group formed")),
        ("neardup.groups_merged", _("Near-duplicate groups merged")),
    ]
)
