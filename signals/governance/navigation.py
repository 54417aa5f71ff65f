"""Entries of signals.governance in the main navigation (imported by signals.navigation)."""
