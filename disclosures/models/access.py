from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DisclosureAccess(models.Model):
    """
    Holder of the disclosures app's permissions (no table).

    Separation of duties is built from these: preparing, approving and releasing are
    distinct permissions held by distinct roles.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_requests", _("Can see legal requests")),
            ("prepare_requests", _("Can register and prepare legal requests")),
            ("approve_requests", _("Can approve a frozen disclosure scope")),
            ("release_packages", _("Can release an approved disclosure package")),
            ("manage_authorities", _("Can maintain the registry of authorities")),
            ("unmask_pii", _("Can unmask phone numbers and IP addresses for a stated purpose")),
            ("view_transparency_report", _("Can see the transparency report")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
