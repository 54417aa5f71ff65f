from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_categories(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from moderation.models import Category
    from moderation.taxonomy import ensure_default_categories

    ensure_default_categories(Category.objects.db_manager(using).model)


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # A flush (between transactional tests) empties the table the data migration
        # filled; the defaults come back after it, as after every migrate.
        post_migrate.connect(_ensure_categories, sender=self)
        from moderation import case_panels
        from moderation.selectors.rollup import rollup_panel

        case_panels.register("moderation/_rollup.html", rollup_panel)
