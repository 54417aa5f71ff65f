"""
Admin for moderation data. Categories and moderator profiles are configuration and editable;
everything else is the record of work done through the services (which lock, check and
audit) and is read-only here, so the admin cannot bypass them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from moderation.models import (
    AccountRestriction,
    Appeal,
    BulkJob,
    Case,
    CaseNote,
    CaseSignal,
    Category,
    Decision,
    EvidenceHold,
    Media,
    ModeratorProfile,
    PlatformAccount,
    ReplyTemplate,
    Report,
    Reporter,
    Statement,
    Strike,
    Subject,
    TransparencyReport,
)

# A changelist of a table with millions of rows neither counts them all nor OFFSETs deep into
# them: the count is the planner's estimate (unfiltered) or capped (filtered), and only the
# first pages are reachable; the page says so. Any reachable page then costs about page 1.
ADMIN_MAX_PAGES = 20
ADMIN_COUNT_CAP = 10_000


class LargeTablePaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset: Any = self.object_list
        query = getattr(queryset, "query", None)
        if query is None:
            return len(queryset)
        if not query.where and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= 0:  # -1: never analysed, count instead
                return int(row[0])
        return int(queryset.order_by()[: ADMIN_COUNT_CAP + 1].count())

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, ADMIN_MAX_PAGES)


class LargeTableAdmin(ReadOnlyAdmin):
    """A read-only admin of a large table: newest first by primary key, bounded pages."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER  # a count per filter choice is a scan per choice
    ordering = ("-pk",)

    def changelist_view(self, request: Any, extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = {
            "subtitle": _(
                "Newest first; counts are estimates and only the first %(pages)d pages are "
                "shown: filter or search to reach older rows."
            )
            % {"pages": ADMIN_MAX_PAGES},
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "severity",
        "deadline_hours",
        "dsa_category",
        "illegal_by_default",
    )
    list_editable = ("severity", "deadline_hours")
    search_fields = ("name", "code")
    readonly_fields = ("code",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # reports and cases point at categories


@admin.register(ModeratorProfile)
class ModeratorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "languages")
    filter_horizontal = ("categories",)
    autocomplete_fields = ("user",)


@admin.register(PlatformAccount)
class PlatformAccountAdmin(LargeTableAdmin):
    list_display = ("platform_id", "username", "display_name", "kind", "first_seen_at")
    search_fields = ("platform_id", "username")
    list_filter = ("kind",)


@admin.register(Reporter)
class ReporterAdmin(LargeTableAdmin):
    list_display = ("pseudonym", "reports_resolved", "reports_actioned", "accuracy_percent")
    search_fields = ("platform_id",)


@admin.register(Subject)
class SubjectAdmin(LargeTableAdmin):
    list_display = ("type", "platform_id", "author", "chat_id", "first_reported_at")
    list_filter = ("type",)
    search_fields = ("platform_id", "chat_id")
    list_select_related = ("author",)


@admin.register(Report)
class ReportAdmin(LargeTableAdmin):
    list_display = ("external_id", "case", "category", "source", "language", "reported_at")
    list_filter = ("source", "category")
    search_fields = ("external_id",)
    list_select_related = ("case", "category")


@admin.register(Case)
class CaseAdmin(LargeTableAdmin):
    list_display = (
        "id",
        "status",
        "category",
        "priority",
        "deadline_at",
        "claimed_by",
        "report_count",
    )
    list_filter = ("status", "category", "subject_type", "escalation")
    list_select_related = ("category", "claimed_by")


@admin.register(CaseSignal)
class CaseSignalAdmin(LargeTableAdmin):
    list_display = ("case", "kind", "name", "label", "score")
    list_filter = ("kind",)


@admin.register(Decision)
class DecisionAdmin(LargeTableAdmin):
    list_display = ("id", "case", "moderator", "origin", "status", "actions", "created_at")
    list_filter = ("origin", "status")
    list_select_related = ("case", "moderator")


@admin.register(Statement)
class StatementAdmin(LargeTableAdmin):
    list_display = ("puid", "decision", "created_at")
    search_fields = ("puid",)


@admin.register(Appeal)
class AppealAdmin(LargeTableAdmin):
    list_display = ("external_id", "decision", "status", "decided_by", "submitted_at")
    list_filter = ("status",)


@admin.register(BulkJob)
class BulkJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_by", "status", "total", "done", "skipped", "created_at")
    list_filter = ("status",)


@admin.register(AccountRestriction)
class AccountRestrictionAdmin(LargeTableAdmin):
    list_display = ("account", "kind", "starts_at", "ends_at", "lifted_at")
    list_filter = ("kind",)


@admin.register(Strike)
class StrikeAdmin(LargeTableAdmin):
    list_display = ("account", "category", "created_at", "voided_at")


@admin.register(Media)
class MediaAdmin(LargeTableAdmin):
    list_display = ("sha256", "kind", "mime", "size", "pdq_quality", "received_at", "purged_at")
    list_filter = ("kind", "mime")
    search_fields = ("sha256", "md5", "pdq")


@admin.register(EvidenceHold)
class EvidenceHoldAdmin(ReadOnlyAdmin):
    list_display = ("account", "source_type", "source_id", "placed_at", "released_at")
    list_filter = ("source_type",)
    search_fields = ("account__platform_id", "account__username")


@admin.register(CaseNote)
class CaseNoteAdmin(LargeTableAdmin):
    # The notes' text stays on the case page, for the staff who may open the case.
    list_display = ("id", "case", "appeal", "author", "created_at")
    exclude = ("text",)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(ReadOnlyAdmin):
    list_display = ("title", "category", "language", "field", "shortcut", "active", "updated_at")
    list_filter = ("language", "field", "active")


@admin.register(TransparencyReport)
class TransparencyReportAdmin(ReadOnlyAdmin):
    list_display = ("period_start", "period_end", "version", "generated_at", "published_at")
