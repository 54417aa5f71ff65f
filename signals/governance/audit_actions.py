"""Audit actions of signals.governance (imported by signals.audit_actions)."""
