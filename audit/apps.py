from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares the actions it records in its own audit_actions module; the
        # audit app imports none of them by name (docs/architecture.md, Dependencies).
        autodiscover_modules("audit_actions", "audit_targets")
