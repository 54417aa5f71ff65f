from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Outbox")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares the kinds it sends in its own outbox_kinds module, and the work
        # the relay re-publishes in its own relays module.
        autodiscover_modules("outbox_kinds")
        autodiscover_modules("relays")
