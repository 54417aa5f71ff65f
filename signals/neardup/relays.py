"""Work of signals.neardup the relay hands out again (imported by signals.relays)."""
