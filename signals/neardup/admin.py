"""Near-duplicate groups in the admin: read-only (grouping is the background service's)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from signals.models import DuplicateGroup, DuplicateMember, TextBand, TextSignature


@admin.register(DuplicateGroup)
class DuplicateGroupAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "size", "exemplar", "merged_into", "created_at")
    list_filter = ("kind",)


@admin.register(DuplicateMember)
class DuplicateMemberAdmin(ReadOnlyAdmin):
    list_display = ("group", "case", "kind", "similarity", "joined_at")
    list_filter = ("kind",)


@admin.register(TextSignature)
class TextSignatureAdmin(ReadOnlyAdmin):
    list_display = ("report", "scheme", "created_at")
    exclude = ("signature",)  # bytes: nothing to read there


@admin.register(TextBand)
class TextBandAdmin(ReadOnlyAdmin):
    list_display = ("report", "band", "bucket")
