"""
Demo evidence: synthetic pictures for the media reports, and thread context for some group
messages. Part of `moderation.demo` (seed_demo), kept apart because it is about evidence.

The pictures are drawn at seed time and are plainly not real: a gradient, a few flat shapes
and a banner that says SYNTHETIC DEMO. They come in families of near-copies (the same
picture re-encoded brighter as a JPEG, or cropped by a pixel and scaled back), as re-posted
content is, so their PDQ hashes sit a few bits apart (at most 28 of 256 here) while
different families' do not. (A changed caption moves PDQ much more than one would think
on pictures this plain: up to 56 bits.)
Everything is derived from the family number: seeding twice draws the same bytes.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from moderation.services.intake import ContextMessageInput
from moderation.services.media import media_ingest

# Each family: the original, a brighter JPEG re-encoding, a copy cropped by a pixel.
FAMILY_SIZE = 3
WIDTH, HEIGHT = 320, 240
BANNER = 30

THREAD_LINES = [
    "Has anyone else seen this?",
    "Admins, please look at the message below.",
    "Who is this account?",
    "Please stop posting this here.",
    "Source?",
    "This is the third time today.",
    "Reported it.",
    "Not again…",
    "Is this even allowed in this group?",
    "Welcome to the new members!",
]
REPORTER_LINES = [
    "(forwarded by the reporter) He sent me the same thing in a private chat yesterday.",
    "(forwarded by the reporter) This account messaged me privately after I replied.",
]


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(30, 230), rng.randrange(30, 230), rng.randrange(30, 230))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def synthetic_picture(family: int, copy: int) -> bytes:
    """Copy `copy` (0, 1 or 2) of family `family`'s picture, as PNG or JPEG bytes."""
    rng = random.Random(f"demo-picture-{family}")  # noqa: S311 (reproducible demo data)
    ramp = Image.linear_gradient("L")
    if rng.random() < 0.5:
        ramp = ramp.transpose(Image.Transpose.ROTATE_90)
    image = ImageOps.colorize(ramp, _colour(rng), _colour(rng)).resize((WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 5)):
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT - BANNER)
        r = rng.randrange(18, 70)
        box = (x - r, y - r, x + r, y + r)
        shape = rng.choice(("ellipse", "rectangle", "triangle"))
        if shape == "ellipse":
            draw.ellipse(box, fill=_colour(rng))
        elif shape == "rectangle":
            draw.rectangle(box, fill=_colour(rng))
        else:
            draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=_colour(rng))
    draw.rectangle((0, HEIGHT - BANNER, WIDTH, HEIGHT), fill=(16, 16, 16))
    caption = f"SYNTHETIC DEMO  #{family:02d}"
    draw.text((10, HEIGHT - BANNER + 6), caption, fill=(255, 255, 255), font=_font(16))
    out = io.BytesIO()
    if copy == 1:
        ImageEnhance.Brightness(image).enhance(1.1).save(out, format="JPEG", quality=90)
    elif copy == 2:
        image.crop((1, 1, WIDTH - 1, HEIGHT - 1)).resize((WIDTH, HEIGHT)).save(out, "PNG")
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def demo_media(platform_ids: list[str]) -> dict[str, str]:
    """
    Draw and ingest one picture per media subject (through `media_ingest`, as the API
    does), consecutive subjects sharing a family; returns platform id -> SHA-256.
    """
    shas = {}
    for index, platform_id in enumerate(platform_ids):
        family, copy = divmod(index, FAMILY_SIZE)
        shas[platform_id] = media_ingest(data=synthetic_picture(family, copy)).media.sha256
    return shas


def demo_thread(n: int, *, posted: datetime, author: int) -> tuple[ContextMessageInput, ...]:
    """
    A few messages around subject `n`'s reported message in its group, in thread order:
    observed by the platform, and (every other thread) one the reporter forwarded.
    """
    rng = random.Random(f"demo-thread-{n}")  # noqa: S311 (reproducible demo data)
    before = sorted(rng.sample(range(1, 45), rng.randint(2, 4)), reverse=True)
    after = sorted(rng.sample(range(1, 30), rng.randint(1, 3)))
    members = [rng.randint(181, 260) for _ in range(3)] + [author]
    messages = []
    for k, minutes in enumerate(before):
        member = rng.choice(members)
        messages.append(
            ContextMessageInput(
                position="before",
                message_id=f"{n * 7 + 11}-b{k}",
                author_id=f"acct-{member}",
                author_name=f"User {member}",
                posted_at=posted - timedelta(minutes=minutes),
                text=rng.choice(THREAD_LINES),
            )
        )
    if n % 8 == 0:
        messages.append(
            ContextMessageInput(
                position="before",
                message_id=f"{n * 7 + 11}-fwd",
                author_id=f"acct-{author}",
                author_name=f"User {author}",
                posted_at=posted - timedelta(seconds=30),
                text=rng.choice(REPORTER_LINES),
                provenance="reporter",
            )
        )
    for k, minutes in enumerate(after):
        member = rng.choice(members[:3])
        messages.append(
            ContextMessageInput(
                position="after",
                message_id=f"{n * 7 + 11}-a{k}",
                author_id=f"acct-{member}",
                author_name=f"User {member}",
                posted_at=posted + timedelta(minutes=minutes),
                text=rng.choice(THREAD_LINES),
            )
        )
    return tuple(messages)
