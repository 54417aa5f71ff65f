"""signals.classifier (see docs/signals.md)."""
