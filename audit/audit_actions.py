"""The audit actions the audit app and the shared request plumbing record."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("audit.verification_started", _("Audit trail verification started")),
        ("authz.denied", _("Access denied")),
    ]
)
