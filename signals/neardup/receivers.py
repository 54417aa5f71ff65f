"""Receivers of signals.neardup on moderation's events (connected by signals.receivers)."""

from __future__ import annotations


def connect() -> None:
    """Connect this package's receivers (none yet)."""
