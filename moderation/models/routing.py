from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModeratorProfile(models.Model):
    """What a moderator handles: their queue defaults to these languages and categories."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_profile"
    )
    languages = models.JSONField(_("languages (ISO 639-1)"), default=list, blank=True)
    categories = models.ManyToManyField("moderation.Category", blank=True, related_name="+")

    class Meta:
        verbose_name = _("moderator profile")
        verbose_name_plural = _("moderator profiles")

    def __str__(self) -> str:
        return f"profile of {self.user}"
