"""
Demo reports from private and secret chats: reporter-supplied evidence and a roll-up.

A private "crypto signals" group draws five message reports from five members, two with the
thread around the message as the reporter forwarded it; a private channel, two; a secret
(end-to-end encrypted) chat, a harassment report against the account; a one-to-one private
chat, a scam report. All go through intake (channel "demo"), so their evidence is
reporter-supplied and the group's cases roll up by themselves. Idempotent: the external ids
are fixed, so a second run adds nothing. Every name and text is made up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from moderation.services.intake import (
    ContextMessageInput,
    ReportInput,
    SubjectInput,
    reports_ingest,
)

if TYPE_CHECKING:
    from accounts.models import User

PREFIX = "private-demo-"
GROUP_ID = "private-demo-group-moonshot"
GROUP_OWNER = "private-demo-acct-owner"
GROUP_TITLE = "Moonshot Signals VIP 🚀"
GROUP_ADMIN = "private-demo-acct-admin"
CHANNEL_ID = "private-demo-channel-cures"
CHANNEL_OWNER = "private-demo-acct-healer"
CHANNEL_TITLE = "Natural Cures Insider"

# (n, author, author name, reporter, hours ago, text)
_GROUP_MESSAGES = [
    (
        1,
        GROUP_ADMIN,
        "Moonshot Admin",
        "private-demo-rep-1",
        30,
        "VIP signal: send 0.5 ETH to the pool wallet before 20:00 and get 3x back by Friday. "
        "Guaranteed, we never lost a trade.",
    ),
    (
        2,
        GROUP_ADMIN,
        "Moonshot Admin",
        "private-demo-rep-2",
        26,
        "Last call for the pre-sale. Members who do not deposit today will be removed from "
        "the group.",
    ),
    (
        3,
        GROUP_ADMIN,
        "Moonshot Admin",
        "private-demo-rep-3",
        20,
        "Withdrawals are paused for maintenance. Pay the 10% unlock fee to the support "
        "wallet to release your profits.",
    ),
    (
        4,
        GROUP_OWNER,
        "Moonshot Signals",
        "private-demo-rep-4",
        12,
        "New members: DM me your seed phrase and I will connect your wallet to the bot for "
        "automatic trading.",
    ),
    (
        5,
        GROUP_ADMIN,
        "Moonshot Admin",
        "private-demo-rep-5",
        4,
        "Anyone asking for refunds in the chat will be banned. Trust the process and deposit "
        "again to recover losses.",
    ),
]


def _report(
    n: str,
    *,
    category: str,
    reporter: str,
    description: str,
    subject: SubjectInput,
    reported_at: datetime,
    context: tuple[ContextMessageInput, ...] = (),
) -> ReportInput:
    return ReportInput(
        external_id=f"{PREFIX}{n}",
        category=category,
        source="user",
        reporter_id=reporter,
        description=description,
        reported_at=reported_at,
        language="en",
        subject=subject,
        context=context,
    )


def _thread(n: int, posted: datetime) -> tuple[ContextMessageInput, ...]:
    """Messages the reporter forwarded with the reported one: the platform saw none of them."""
    return (
        ContextMessageInput(
            position="before",
            message_id=f"{PREFIX}ctx-{n}-1",
            author_id=f"private-demo-acct-member-{n}",
            author_name="Member",
            posted_at=posted - timedelta(minutes=6),
            text="Is this safe? I deposited last week and cannot withdraw anything.",
            provenance="reporter",
        ),
        ContextMessageInput(
            position="after",
            message_id=f"{PREFIX}ctx-{n}-2",
            author_id=GROUP_ADMIN,
            author_name="Moonshot Admin",
            posted_at=posted + timedelta(minutes=2),
            text="Stop spreading FUD or you will be removed. Deposit and wait.",
            provenance="reporter",
        ),
    )


def _group_reports(now: datetime) -> list[ReportInput]:
    items = []
    for n, author, name, reporter, hours, text in _GROUP_MESSAGES:
        posted = now - timedelta(hours=hours)
        items.append(
            _report(
                f"group-{n}",
                category="scams_fraud",
                reporter=reporter,
                description="A paid 'signals' group asking members to send crypto to a wallet "
                "with guaranteed returns. I forwarded the message.",
                reported_at=posted + timedelta(minutes=40),
                subject=SubjectInput(
                    platform_id=f"{PREFIX}msg-group-{n}",
                    type="message",
                    author_id=author,
                    author_display_name=name,
                    chat_id=GROUP_ID,
                    chat_kind="private_group",
                    chat_owner_id=GROUP_OWNER,
                    chat_title=GROUP_TITLE,
                    text=text,
                    posted_at=posted,
                ),
                context=_thread(n, posted) if n in (1, 3) else (),
            )
        )
    return items


def _channel_reports(now: datetime) -> list[ReportInput]:
    texts = [
        "Cancer is a fungus. Stop chemotherapy and take 30 drops of our sodium tincture "
        "three times a day instead. Order through the bot.",
        "Doctors hide this: our mineral solution cures diabetes in two weeks. Give it to "
        "your children too.",
    ]
    items = []
    for n, text in enumerate(texts, start=1):
        posted = now - timedelta(hours=10 - 3 * n)
        items.append(
            _report(
                f"channel-{n}",
                category="other",
                reporter=f"private-demo-rep-ch-{n}",
                description="Dangerous fake cures sold in a private channel I was invited to.",
                reported_at=posted + timedelta(hours=1),
                subject=SubjectInput(
                    platform_id=f"{PREFIX}msg-channel-{n}",
                    type="message",
                    author_id=CHANNEL_OWNER,
                    author_display_name="Dr. Natural",
                    chat_id=CHANNEL_ID,
                    chat_kind="private_channel",
                    chat_owner_id=CHANNEL_OWNER,
                    chat_title=CHANNEL_TITLE,
                    text=text,
                    posted_at=posted,
                ),
            )
        )
    return items


def _one_to_one_reports(now: datetime) -> list[ReportInput]:
    secret_posted = now - timedelta(hours=5)
    private_posted = now - timedelta(hours=9)
    return [
        _report(
            "secret-1",
            category="harassment",
            reporter="private-demo-rep-secret",
            description="He keeps messaging me in a secret chat after I blocked his other "
            "account. Screenshot text forwarded.",
            reported_at=secret_posted + timedelta(minutes=15),
            subject=SubjectInput(
                type="account",
                platform_id=f"{PREFIX}acct-stalker",
                author_id=f"{PREFIX}acct-stalker",
                author_display_name="night_owl_77",
                chat_id=f"{PREFIX}secret-chat-1",
                chat_kind="secret",
                text="You can block me as often as you want. I know where you work and I "
                "will be waiting outside tomorrow.",
                posted_at=secret_posted,
            ),
        ),
        _report(
            "private-1",
            category="scams_fraud",
            reporter="private-demo-rep-private",
            description="A stranger wrote to me pretending to be a parcel service.",
            reported_at=private_posted + timedelta(minutes=20),
            subject=SubjectInput(
                platform_id=f"{PREFIX}msg-private-1",
                type="message",
                author_id=f"{PREFIX}acct-parcel",
                author_display_name="Parcel Delivery Support",
                chat_id=f"{PREFIX}private-chat-1",
                chat_kind="private",
                text="Your parcel is held at customs. Pay the 2.99 EUR release fee with your "
                "card details here within 24 hours or it will be returned.",
                posted_at=private_posted,
            ),
        ),
    ]


def seed_private_chats(users: dict[str, User]) -> int:
    """Seed the private-chat reports; returns how many reports were new."""
    now = timezone.now()
    items = [*_group_reports(now), *_channel_reports(now), *_one_to_one_reports(now)]
    return len(reports_ingest(items=items, channel="demo").created)
