from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    name = "signals"
    label = "signals"
    verbose_name = _("Automatic signals")

    def ready(self) -> None:
        from moderation import case_panels
        from signals import receivers
        from signals.classifier.panels import case_panel as classifier_panel
        from signals.governance.panels import case_panel as governance_panel
        from signals.neardup.panels import case_panel as neardup_panel
        from signals.selectors import bank_it_panel

        receivers.connect()
        case_panels.register("signals/classifier/_case_panel.html", classifier_panel)
        case_panels.register("signals/neardup/_case_panel.html", neardup_panel)
        case_panels.register("signals/governance/_case_panel.html", governance_panel)
        case_panels.register("signals/_bank_it.html", bank_it_panel)
