"""Detectors, rules and automatic actions in the admin: read-only (the services audit changes)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from signals.models import AutoActionRule, AutomatedAction, Detector


@admin.register(Detector)
class DetectorAdmin(ReadOnlyAdmin):
    list_display = ("key", "kind", "mode", "changed_at", "changed_by")
    list_filter = ("kind", "mode")
    search_fields = ("key",)


@admin.register(AutoActionRule)
class AutoActionRuleAdmin(ReadOnlyAdmin):
    list_display = ("category", "enabled", "threshold", "sample_percent", "updated_at")
    list_select_related = ("category",)


@admin.register(AutomatedAction)
class AutomatedActionAdmin(ReadOnlyAdmin):
    list_display = ("case", "detector", "score", "threshold", "sampled", "review", "created_at")
    list_filter = ("sampled", "review")
    search_fields = ("detector",)
