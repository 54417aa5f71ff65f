"""
Reads of subscriber data: find a platform account, its phone record, and its IP records a
keyset page at a time (newest first). The values are read in clear; the interface masks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from core.keyset import KeysetCursor
from disclosures.models import SubscriberIp, SubscriberPhone
from moderation.models import PlatformAccount

IP_PAGE_SIZE = 50
LOOKUP_LIMIT = 20


@dataclass(frozen=True)
class IpCursor(KeysetCursor):
    """Where a page of IP records ended (newest first): the last seen_at and id."""

    seen_at: datetime
    id: int


def accounts_find(*, query: str) -> list[PlatformAccount]:
    """Accounts whose platform id is the query, or whose username is (without '@')."""
    username = query.removeprefix("@")
    return list(
        PlatformAccount.objects.filter(Q(platform_id=query) | Q(username__iexact=username))
        .only("pk", "platform_id", "username", "display_name", "kind")
        .order_by("pk")[:LOOKUP_LIMIT]
    )


def subscriber_ip_page(
    *, account: PlatformAccount, after: IpCursor | None
) -> tuple[list[SubscriberIp], IpCursor | None]:
    """One page of the account's IP records, newest first, keyset-paginated."""
    records = SubscriberIp.objects.filter(account=account).only("pk", "ip", "port", "seen_at")
    if after is not None:
        records = records.filter(
            Q(seen_at__lt=after.seen_at) | Q(seen_at=after.seen_at, pk__lt=after.id)
        )
    page = list(records.order_by("-seen_at", "-pk")[: IP_PAGE_SIZE + 1])
    following = None
    if len(page) > IP_PAGE_SIZE:
        page = page[:IP_PAGE_SIZE]
        following = IpCursor(page[-1].seen_at, page[-1].pk)
    return page, following


def subscriber_phone_get(*, account: PlatformAccount) -> SubscriberPhone | None:
    """The account's phone record (already loaded when selected with the account), or None."""
    try:
        return account.subscriber_phone
    except SubscriberPhone.DoesNotExist:
        return None
