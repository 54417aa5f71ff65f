"""Model versions in the admin: read-only (training and promotion go through the services)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from signals.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("category", "version", "status", "train_size", "test_size", "trained_at")
    list_filter = ("status", "category")
    list_select_related = ("category",)
