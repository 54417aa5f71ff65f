"""Entries of signals.neardup in the main navigation (imported by signals.navigation)."""
