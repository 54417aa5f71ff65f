"""Near-copies of spam texts and cases built from them, for the near-duplicate tests."""

from __future__ import annotations

import itertools

from moderation.models import Case, Report
from tests.moderation.factories import make_case

AIRDROP = (
    "Congratulations! Your wallet was selected for the 500 USDT airdrop. Claim it now at "
    "https://claim-usdt.example/a1 before the offer expires tonight, only 20 places left."
)
# Edits spammers make: a greeting, another link, another number, another closing word.
AIRDROP_COPIES = [
    AIRDROP,
    "Hi friend! " + AIRDROP,
    AIRDROP.replace("https://claim-usdt.example/a1", "https://claim-usdt.example/zz9q"),
    AIRDROP.replace("500 USDT", "750 USDT").replace("tonight", "today"),
]
UNRELATED = (
    "The meeting about the school garden moves to Thursday evening; please bring gloves and "
    "a spade if you have one."
)

# Spam templates unlike each other: each makes a family of near copies.
TEMPLATES = {
    "alpha": "Your parcel is held at the depot, pay the 2 EUR customs fee at "
    "https://post.example/p within 24 hours or it goes back to the sender.",
    "bravo": "Earn 300 dollars a day from home, no experience needed, message me on telegram "
    "for details about this opportunity.",
    "charlie": "Your bank account has been suspended for security reasons, verify your identity "
    "at https://secure-bank.example/login immediately.",
    "delta": "Hot singles in your area are waiting to chat with you tonight, sign up free at "
    "https://meet.example/now and get 100 credits.",
    "echo": "Invest 250 and get 5000 back in one week with our crypto trading bot, guaranteed "
    "profits, contact our manager on whatsapp.",
    "foxtrot": "You won an iPhone 15 in our anniversary lottery, claim your prize by paying "
    "shipping at https://prize.example/claim today.",
}

_chats = itertools.count(1)


def family(n: int, template: str) -> list[str]:
    """n near copies of one template: greetings added, a link rotated, a number changed."""
    base = TEMPLATES[template]
    edits = [
        base,
        "Hi! " + base,
        base.replace(".example/", ".example/x7"),
        "Hello friend, " + base,
        base.replace("2", "3").replace("300", "350"),
        "Dear user, " + base,
        base + " Hurry!",
        "Hey, " + base + " Thanks.",
    ]
    return [edits[i % len(edits)] + (" ." * (i // len(edits))) for i in range(n)]


def text_case(text: str, **overrides) -> Case:
    """A case about a message with this text, posted in a chat of its own."""
    overrides.setdefault("subject__chat_id", f"chat-nd-{next(_chats)}")
    return make_case(subject__text=text, **overrides)


def report_ids(*cases: Case) -> list[int]:
    return list(Report.objects.filter(case__in=cases).order_by("pk").values_list("pk", flat=True))
