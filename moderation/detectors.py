"""
The modes of automated detectors, as moderation sees them: moderation stores every automated
signal with the detector that produced it and that detector's mode, but the modes are governed
in the signals app, which moderation does not import. The signals app registers a resolver at
start-up; without one every detector is live (moderation's behaviour before governance).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

OFF, SHADOW, LIVE = "off", "shadow", "live"

ModeResolver = Callable[[Collection[str]], Mapping[str, str]]
_resolver: ModeResolver | None = None


def detector_key(kind: str, name: str) -> str:
    """ "bank:CSAM_KNOWN", "model:spam", "platform:nsfw-v3"."""
    return f"{kind}:{name}"


def register_mode_resolver(resolver: ModeResolver | None) -> None:
    global _resolver
    _resolver = resolver


def detector_modes(keys: Collection[str]) -> dict[str, str]:
    """Each key's mode: "off" (store nothing), "shadow" (store and show only) or "live"."""
    found = dict(_resolver(keys)) if _resolver is not None and keys else {}
    return {key: found.get(key, LIVE) for key in keys}
