"""Demo data of signals.governance (called by signals.demo.seed_signals)."""

from __future__ import annotations


def seed() -> int:
    """Create this package's demo data; returns how many things it made."""
    return 0
