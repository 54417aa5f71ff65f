from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from outbox.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("idempotency_key", "kind", "status", "attempts", "last_error", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("idempotency_key",)
