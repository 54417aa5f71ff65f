"""signals.governance in the admin (imported by signals.admin)."""
