"""Pictures and banks built for the signals tests."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from moderation.models import Category, Media
from moderation.services.media import media_ingest
from signals.models import BankedHash, HashBank


def picture(seed: int, *, mark: int = 0) -> Image.Image:
    """A picture with structure (PDQ quality 100); `mark` paints a small red corner on it."""
    rng = np.random.default_rng(seed)
    image = Image.linear_gradient("L").resize((256, 192)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = int(rng.integers(0, 256)), int(rng.integers(0, 192))
        w, h = int(rng.integers(20, 80)), int(rng.integers(20, 80))
        draw.ellipse([x, y, x + w, y + h], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    if mark:
        draw.rectangle([0, 0, mark, mark], fill=(255, 0, 0))
    return image


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def ingest(image: Image.Image) -> Media:
    return media_ingest(data=png(image)).media


def bank(name: str = "KNOWN_SPAM", **fields) -> HashBank:
    fields.setdefault("category", Category.objects.get(code="spam"))
    return HashBank.objects.create(name=name, **fields)


def banked(bank: HashBank, signal_type: str, value: str, **fields) -> BankedHash:
    return BankedHash.objects.create(bank=bank, signal_type=signal_type, value=value, **fields)
