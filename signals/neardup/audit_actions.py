"""Audit actions of signals.neardup (imported by signals.audit_actions)."""
