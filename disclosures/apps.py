from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_policies(sender: Any, **kwargs: Any) -> None:
    from disclosures.models import DisclosurePolicy
    from disclosures.policy_defaults import ensure_default_policies

    ensure_default_policies(DisclosurePolicy)


class DisclosuresConfig(AppConfig):
    name = "disclosures"
    verbose_name = _("Legal disclosures")

    def ready(self) -> None:
        # Restored after a flush (transactional tests), as after every migrate.
        post_migrate.connect(_ensure_policies, sender=self)
