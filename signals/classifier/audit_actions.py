"""Audit actions of signals.classifier (imported by signals.audit_actions)."""
