"""The search policy in the admin: read-only (the services version and audit every change)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from search_policy.models import (
    AllowedTerm,
    BlockedTerm,
    DelistedEntity,
    FeedHead,
    PolicyChange,
    TagCursor,
)


@admin.register(BlockedTerm)
class BlockedTermAdmin(ReadOnlyAdmin):
    # Terms may be licensed or confidential: the admin shows their rule, never their text.
    list_display = ("id", "match_type", "category", "source", "confidential", "added_at")
    list_filter = ("match_type", "source", "confidential")
    exclude = ("term", "normalized")


@admin.register(AllowedTerm)
class AllowedTermAdmin(ReadOnlyAdmin):
    list_display = ("id", "term", "match_type", "added_at", "removed_at")
    list_filter = ("match_type",)


@admin.register(DelistedEntity)
class DelistedEntityAdmin(ReadOnlyAdmin):
    list_display = ("entity_type", "platform_id", "category", "expires_at", "removed_at")
    list_filter = ("entity_type",)
    search_fields = ("=platform_id",)


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdmin):
    list_display = ("version", "op", "term", "entity", "allowed", "created_at")


@admin.register(FeedHead)
class FeedHeadAdmin(ReadOnlyAdmin):
    """The feed's latest version (one row, locked by every change)."""


@admin.register(TagCursor)
class TagCursorAdmin(ReadOnlyAdmin):
    """How far the relay has checked reports against the blocked terms."""

    list_display = ("name", "last_report_id", "updated_at")
