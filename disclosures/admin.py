"""
Admin for the disclosure workflow. The registry of authorities and the policy are
configuration (every change is audited); everything else is the record of the workflow and
is read-only here — and subscriber data shows masked only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

import audit
from core.admin import ReadOnlyAdmin
from disclosures.masking import mask_ip, mask_phone
from disclosures.models import (
    Approval,
    Authority,
    AuthorityContact,
    DeadlineReminder,
    DisclosurePolicy,
    LegalRequest,
    PiiUnmask,
    PreservationHold,
    ReleasePackage,
    RequestTarget,
    Scope,
    SubscriberIp,
    SubscriberPhone,
    UserNotice,
    VerificationCheck,
)


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletions write an audit event in the same transaction."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
                target=obj,
                data={"fields": sorted(form.changed_data)},
            )

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic():
            audit.record(action=f"{obj._meta.model_name}.deleted", target=obj)
            super().delete_model(request, obj)


class AuthorityContactInline(admin.TabularInline):
    model = AuthorityContact
    extra = 0
    fields = ("kind", "value", "directory_source", "verified_at", "verified_by")


@admin.register(Authority)
class AuthorityAdmin(AuditedAdmin):
    list_display = ("name", "country", "type", "status")
    list_filter = ("country", "type", "status")
    search_fields = ("name",)
    inlines = [AuthorityContactInline]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # requests keep pointing at their authority: suspend instead


@admin.register(DisclosurePolicy)
class DisclosurePolicyAdmin(AuditedAdmin):
    """Versions are added, never edited: a request is judged by the version it arrived under."""

    list_display = ("version", "effective_from", "any_criminal_offence", "offence_categories")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(SubscriberPhone)
class SubscriberPhoneAdmin(ReadOnlyAdmin):
    list_display = ("account", "masked", "updated_at")
    fields = ("account", "masked", "updated_at")
    readonly_fields = fields

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return list(self.fields)

    @admin.display(description="Phone (masked)")
    def masked(self, obj: SubscriberPhone) -> str:
        return mask_phone(obj.phone)


@admin.register(SubscriberIp)
class SubscriberIpAdmin(ReadOnlyAdmin):
    list_display = ("account", "masked", "port", "seen_at")
    fields = ("account", "masked", "port", "seen_at")
    readonly_fields = fields

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return list(self.fields)

    @admin.display(description="IP (masked)")
    def masked(self, obj: SubscriberIp) -> str:
        return mask_ip(obj.ip)


@admin.register(LegalRequest)
class LegalRequestAdmin(ReadOnlyAdmin):
    list_display = ("reference", "instrument", "authority", "status", "emergency", "deadline_at")
    list_filter = ("status", "instrument", "emergency")
    search_fields = ("reference", "issuing_file_number")
    list_select_related = ("authority",)


@admin.register(RequestTarget)
class RequestTargetAdmin(ReadOnlyAdmin):
    list_display = ("request", "kind", "resolution", "account")
    fields = ("request", "kind", "resolution", "account")
    readonly_fields = fields

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return list(self.fields)  # the identifier itself stays encrypted and unshown


@admin.register(VerificationCheck)
class VerificationCheckAdmin(ReadOnlyAdmin):
    list_display = ("request", "code", "result", "performed_by", "performed_at")


@admin.register(Scope)
class ScopeAdmin(ReadOnlyAdmin):
    list_display = ("request", "scope_hash", "prepared_by", "created_at", "voided_at")
    exclude = ("record_fingerprints",)  # keyed HMACs per record: noise to a reader


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("request", "approver", "decision", "scope_hash", "decided_at", "voided_at")


@admin.register(ReleasePackage)
class ReleasePackageAdmin(ReadOnlyAdmin):
    list_display = ("request", "status", "manifest_sha256", "released_by", "released_at")
    exclude = ("storage_path",)


@admin.register(UserNotice)
class UserNoticeAdmin(ReadOnlyAdmin):
    list_display = ("request", "account", "status", "due_at", "sent_at")


@admin.register(DeadlineReminder)
class DeadlineReminderAdmin(ReadOnlyAdmin):
    list_display = ("request", "threshold", "sent_at")


@admin.register(AuthorityContact)
class AuthorityContactAdmin(AuditedAdmin):
    list_display = ("authority", "kind", "value", "directory_source", "verified_at")
    list_filter = ("kind",)
    list_select_related = ("authority",)


@admin.register(PreservationHold)
class PreservationHoldAdmin(ReadOnlyAdmin):
    list_display = ("request", "account", "expires_at", "extensions", "released_at")
    list_select_related = ("request", "account")


@admin.register(PiiUnmask)
class PiiUnmaskAdmin(ReadOnlyAdmin):
    """Who unmasked which field of which account, for which request or reason (no values)."""

    list_display = ("created_at", "user", "field", "account", "request", "reason", "refused")
    list_filter = ("refused", "field", "reason")
    list_select_related = ("user", "account", "request")
