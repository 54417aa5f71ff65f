"""Entries of signals.classifier in the main navigation (imported by signals.navigation)."""
