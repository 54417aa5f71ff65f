"""
Where subscriber data comes from: one adapter interface, so a platform can plug its own
store in (`SUBSCRIBER_DATA_SOURCE`), and the default source over this app's own tables.
Every read of released data goes through here, and only with the accounts, categories and
date range of an approved scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class IpRecord:
    account_id: str  # the platform's account id
    ip: str
    port: int | None
    seen_at: datetime  # UTC
    # Provenance: the source's own id of the record, so a pinned scope can tell a changed
    # record from an added one. Empty when the source has none.
    record_id: str = ""


@dataclass(frozen=True)
class PhoneRecord:
    account_id: str
    phone: str  # E.164
    record_id: str = ""


class SubscriberDataSource(Protocol):
    def phone_numbers(self, *, account_ids: list[str]) -> dict[str, str]:
        """E.164 phone number of each account that has one."""
        ...

    def ip_records(
        self, *, account_ids: list[str], start: datetime, end: datetime
    ) -> list[IpRecord]:
        """IP records of these accounts with start <= seen_at < end, oldest first."""
        ...


class DatabaseSource:
    """The default source: SubscriberPhone and SubscriberIp rows (encrypted at rest)."""

    def phone_numbers(self, *, account_ids: list[str]) -> dict[str, str]:
        from disclosures.models import SubscriberPhone

        rows = SubscriberPhone.objects.filter(account__platform_id__in=account_ids).select_related(
            "account"
        )
        return {row.account.platform_id: row.phone for row in rows}

    def phone_records(self, *, account_ids: list[str]) -> list[PhoneRecord]:
        """The phone numbers with their provenance (row id), for pinning a scope's data."""
        from disclosures.models import SubscriberPhone

        rows = SubscriberPhone.objects.filter(account__platform_id__in=account_ids).select_related(
            "account"
        )
        return [PhoneRecord(r.account.platform_id, r.phone, f"phone:{r.pk}") for r in rows]

    def record_counts(
        self, *, account_ids: list[str], start: datetime, end: datetime
    ) -> dict[str, dict[str, int]]:
        """Phone numbers and IP records per account, counted without decrypting anything."""
        from django.db.models import Count

        from disclosures.models import SubscriberIp, SubscriberPhone

        counts: dict[str, dict[str, int]] = {
            a: {"phone_number": 0, "ip_addresses": 0} for a in account_ids
        }
        for platform_id in SubscriberPhone.objects.filter(
            account__platform_id__in=account_ids
        ).values_list("account__platform_id", flat=True):
            counts[platform_id]["phone_number"] += 1
        for platform_id, n in (
            SubscriberIp.objects.filter(
                account__platform_id__in=account_ids, seen_at__gte=start, seen_at__lt=end
            )
            .values_list("account__platform_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[platform_id]["ip_addresses"] += n
        return counts

    def ip_records(
        self, *, account_ids: list[str], start: datetime, end: datetime
    ) -> list[IpRecord]:
        from disclosures.models import SubscriberIp

        rows = (
            SubscriberIp.objects.filter(
                account__platform_id__in=account_ids, seen_at__gte=start, seen_at__lt=end
            )
            .select_related("account")
            .order_by("seen_at", "id")
        )
        return [
            IpRecord(r.account.platform_id, r.ip, r.port, r.seen_at, f"ip:{r.pk}") for r in rows
        ]


@lru_cache(maxsize=2)
def _source(path: str) -> SubscriberDataSource:
    return import_string(path)()


def subscriber_source() -> SubscriberDataSource:
    return _source(settings.SUBSCRIBER_DATA_SOURCE)
