"""signals.neardup (see docs/signals.md)."""
