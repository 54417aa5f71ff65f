from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchPolicyConfig(AppConfig):
    name = "search_policy"
    label = "search_policy"
    verbose_name = _("Search policy")

    def ready(self) -> None:
        from search_policy import receivers

        receivers.connect()
