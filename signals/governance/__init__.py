"""signals.governance (see docs/signals.md)."""
