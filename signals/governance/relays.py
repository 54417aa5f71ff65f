"""Work of signals.governance the relay hands out again (imported by signals.relays)."""
