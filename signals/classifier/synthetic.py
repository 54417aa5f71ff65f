"""
Synthetic reported texts with the decision a moderator would take, for the demo and the tests.

Made from templates with real variation: each text joins fragments drawn at random, the
violations and the harmless reports share much of their vocabulary (greetings, links,
"channel", "join"), and a share of the labels is flipped (the hard calls two moderators would
decide differently). So a model learns something real from them, more examples help, and no
model reaches a perfect score. None of it is real content.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    text: str
    violation: bool


_SHARED_OPENERS = [
    "Hi all,",
    "Hello everyone!",
    "Good morning friends,",
    "Quick update:",
    "Hey",
    "Attention members:",
    "",
]
_SHARED_CLOSERS = [
    "Join the channel for more.",
    "Link in bio.",
    "See you there.",
    "Thanks for reading.",
    "Share with friends.",
    "",
]

# Words any message may carry, violation or not: noise a model must learn to ignore.
_FILLER = [
    "today",
    "now",
    "really",
    "please",
    "guys",
    "new",
    "group",
    "channel",
    "link",
    "post",
    "check",
    "this",
    "our",
    "my",
    "your",
    "everyone",
    "big",
    "week",
    "free",
    "time",
    "friends",
    "photo",
    "here",
    "info",
    "update",
    "great",
    "best",
    "good",
    "more",
    "join",
    "share",
    "watch",
    "read",
    "love",
    "real",
    "money",
    "city",
    "app",
    "team",
    "night",
]

_FRAGMENTS: dict[str, dict[bool, list[list[str]]]] = {
    "spam": {
        True: [
            [
                "FREE followers",
                "get 10k subscribers",
                "instant likes",
                "free premium accounts",
                "cheap views",
            ],
            [
                "click the link now",
                "click click click",
                "only today",
                "limited offer",
                "100% real",
                "no password needed",
            ],
            [
                "promo code WIN{n}",
                "visit bit.ly/fr{n}",
                "DM me 'BOOST'",
                "t.me/boost{n}",
                "spread the word!!!",
            ],
        ],
        False: [
            [
                "our book club meets",
                "the cycling group rides",
                "the new episode of the podcast is out",
                "photos from the trip are up",
                "the school fair needs volunteers",
            ],
            [
                "on Saturday",
                "next week",
                "this evening",
                "after the holidays",
                "as planned",
            ],
            [
                "bring a friend",
                "the schedule is pinned",
                "comments welcome",
                "tickets at the door",
                "vote in the poll",
            ],
        ],
    },
    "scams_fraud": {
        True: [
            [
                "double your USDT in 24 hours",
                "guaranteed 10% daily profit",
                "you won a prize",
                "your bank account will be suspended",
                "invest 100 get 1000",
            ],
            [
                "send to this wallet",
                "confirm your card details",
                "enter your login code",
                "pay the release fee",
                "verify your identity here",
            ],
            [
                "before midnight",
                "our trading bot does the rest",
                "support agent waiting",
                "wallet 0x{n}",
                "no risk at all",
            ],
        ],
        False: [
            [
                "the crypto meetup discusses",
                "our finance course explains",
                "the bank sent a reminder about",
                "a member asked about",
                "the newsletter covers",
            ],
            [
                "how to spot fake wallets",
                "tax rules for trading",
                "budgeting for students",
                "card fees abroad",
                "saving for a house",
            ],
            [
                "questions welcome",
                "slides in the files",
                "recording next week",
                "never share your codes",
                "see the pinned post",
            ],
        ],
    },
}

CATEGORIES = tuple(_FRAGMENTS)


def examples(
    category: str, count: int, *, seed: int, violation_share: float = 0.5, noise: float = 0.1
) -> list[Example]:
    """
    `count` texts for `category` (one of CATEGORIES), about `violation_share` of them
    violations, with `noise` of the labels flipped.
    """
    rng = random.Random(f"{category}:{seed}")  # noqa: S311 (demo texts, not secrets)
    made = []
    for _ in range(count):
        violation = rng.random() < violation_share
        parts = [rng.choice(_SHARED_OPENERS)]
        for slot in _FRAGMENTS[category][violation]:
            parts.append(rng.choice(slot).format(n=rng.randint(10, 99)))
        # A harmless text now and then borrows a violation's phrase, and the other way round.
        if rng.random() < 0.35:
            other = rng.choice(_FRAGMENTS[category][not violation])
            parts.insert(
                rng.randint(1, len(parts)), rng.choice(other).format(n=rng.randint(10, 99))
            )
        for _ in range(rng.randint(1, 4)):
            parts.insert(rng.randint(1, len(parts)), rng.choice(_FILLER))
        parts.append(rng.choice(_SHARED_CLOSERS))
        text = " ".join(p for p in parts if p)
        if rng.random() < 0.3:
            text = text.lower()
        label = violation if rng.random() >= noise else not violation
        made.append(Example(text=text, violation=label))
    return made
