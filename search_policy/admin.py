"""The search policy in the admin: read-only (the services version and audit every change)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from search_policy.models import BlockedTerm, DelistedEntity, FeedHead, PolicyChange


@admin.register(BlockedTerm)
class BlockedTermAdmin(ReadOnlyAdmin):
    # Terms may be licensed or confidential: the admin shows their rule, never their text.
    list_display = ("id", "match_type", "category", "source", "confidential", "added_at")
    list_filter = ("match_type", "source", "confidential")
    exclude = ("term", "normalized")


@admin.register(DelistedEntity)
class DelistedEntityAdmin(ReadOnlyAdmin):
    list_display = ("entity_type", "platform_id", "category", "expires_at", "removed_at")
    list_filter = ("entity_type",)
    search_fields = ("=platform_id",)


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdmin):
    list_display = ("version", "op", "term", "entity", "created_at")


@admin.register(FeedHead)
class FeedHeadAdmin(ReadOnlyAdmin):
    """The feed's latest version (one row, locked by every change)."""
