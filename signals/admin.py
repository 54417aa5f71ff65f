"""Hash banks in the admin: read-only, because the services audit every change."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from signals.models import BankedHash, HashBank, MatchCursor


@admin.register(HashBank)
class HashBankAdmin(ReadOnlyAdmin):
    list_display = ("name", "enabled", "pdq_threshold", "match_percent", "category", "created_at")
    list_filter = ("enabled",)
    search_fields = ("name",)


@admin.register(BankedHash)
class BankedHashAdmin(ReadOnlyAdmin):
    list_display = ("bank", "signal_type", "value", "label", "added_at", "disabled_at")
    list_filter = ("signal_type", "bank")
    list_select_related = ("bank",)
    search_fields = ("=value",)


from signals.classifier import admin as _classifier  # noqa: E402,F401
from signals.governance import admin as _governance  # noqa: E402,F401
from signals.neardup import admin as _neardup  # noqa: E402,F401


@admin.register(MatchCursor)
class MatchCursorAdmin(ReadOnlyAdmin):
    """How far each relay has walked the reports (matching, classifier, near-duplicates)."""

    list_display = ("name", "last_report_id", "updated_at")
