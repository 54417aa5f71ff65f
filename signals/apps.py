from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    name = "signals"
    label = "signals"
    verbose_name = _("Automatic signals")

    def ready(self) -> None:
        from moderation import case_panels
        from signals import receivers
        from signals.selectors import bank_it_panel

        receivers.connect()
        case_panels.register("signals/_bank_it.html", bank_it_panel)
