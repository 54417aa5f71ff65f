"""Work of signals.classifier the relay hands out again (imported by signals.relays)."""
