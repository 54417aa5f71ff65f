from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ModerationAccess(models.Model):
    """
    Holder of the moderation app's permissions (no table).

    The permissions describe what a role may do in the app as a whole, not on one model,
    so they live here rather than on whichever model happens to exist first.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("triage_cases", _("Can work the triage queue and claim cases")),
            ("decide_cases", _("Can decide claimed cases")),
            ("handle_escalations", _("Can handle cases escalated to senior moderators")),
            ("decide_appeals", _("Can decide appeals")),
            ("bulk_decide", _("Can apply one decision to many cases")),
            ("view_moderation_stats", _("Can see moderation statistics")),
            ("view_legal_escalations", _("Can see cases escalated to legal")),
            ("view_original_media", _("Can download reported media as received")),
            ("mute_reporters", _("Can mute a reporter who files in bad faith")),
            ("write_notes", _("Can read and write internal notes on cases")),
            ("manage_reply_templates", _("Can maintain reply templates")),
            ("publish_transparency_report", _("Can generate and publish the moderation report")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
