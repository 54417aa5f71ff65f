"""
Demo data of signals.neardup (called by signals.demo.seed_signals): families of near-copy
spam and scam texts posted across many chats (a greeting added, the link rotated, a number
changed), ingested like the platform's reports, then every demo report grouped, so the queue
shows text groups of 4 to 12 open cases beside the image groups of the demo's pictures.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from moderation.models import Report
from moderation.services.intake import ReportInput, SubjectInput, reports_ingest
from signals.neardup.services import reports_group

PREFIX = "neardup-demo"
BATCH = 500

# (category, template, how many copies): {link} and {n} change from copy to copy.
FAMILIES = [
    (
        "scams_fraud",
        "Congratulations! Your wallet was selected for the {n}00 USDT airdrop. Claim it at "
        "{link} before the offer expires tonight, only a few places left.",
        12,
    ),
    (
        "scams_fraud",
        "Your parcel is held at the depot: pay the {n} EUR customs fee at {link} within 24 "
        "hours or it goes back to the sender.",
        8,
    ),
    (
        "spam",
        "Earn {n}00 dollars a day from home, no experience needed. Message our manager on "
        "{link} for details about this opportunity.",
        6,
    ),
    (
        "spam",
        "Get 10k real followers in {n} hours! Cheapest prices on the market, pay with crypto, "
        "order now at {link}",
        4,
    ),
]
GREETINGS = ["", "Hi! ", "Hello everyone, ", "Dear members, ", "Hey, ", "Good news: "]
CLOSINGS = ["", " Hurry!", " Don't miss it.", " Thanks.", ""]


def _items() -> list[ReportInput]:
    now = timezone.now()
    items = []
    for f, (category, template, copies) in enumerate(FAMILIES):
        for i in range(copies):
            text = (
                GREETINGS[i % len(GREETINGS)]
                + template.format(n=3 + (i * 7) % 9, link=f"https://t.me/promo{f}x{i * 13 + 5}")
                + CLOSINGS[i % len(CLOSINGS)]
            )
            posted = now - timedelta(hours=1 + i * 0.7 + f)
            chat = f"-100{7100 + f * 20 + i}"
            items.append(
                ReportInput(
                    external_id=f"{PREFIX}-{f}-{i}",
                    category=category,
                    source="user",
                    reporter_id=f"nd-reporter-{f}-{i % 5}",
                    description="Same message is being posted in many groups.",
                    reported_at=posted + timedelta(minutes=20),
                    language="en",
                    subject=SubjectInput(
                        type="message",
                        platform_id=f"message-nd-{f}-{i}",
                        author_id=f"acct-nd-{f}-{i % 3}",
                        author_username=f"promo_{f}_{i % 3}",
                        chat_id=chat,
                        chat_kind="group",
                        text=text,
                        deep_link=f"https://t.me/c/{chat.removeprefix('-100')}/{100 + i}",
                        posted_at=posted,
                    ),
                )
            )
    return items


def seed() -> int:
    """Ingest the families (idempotent) and group every report; returns cases that joined."""
    items = _items()
    reports_ingest(items=items, channel="demo")
    ids = list(Report.objects.order_by("pk").values_list("pk", flat=True))
    joined = 0
    for start in range(0, len(ids), BATCH):
        joined += reports_group(report_ids=ids[start : start + BATCH])
    return joined
