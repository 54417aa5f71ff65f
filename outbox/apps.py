from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Outbox")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares the kinds it sends in its own outbox_kinds module.
        autodiscover_modules("outbox_kinds")
