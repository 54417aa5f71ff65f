"""signals.neardup in the admin (imported by signals.admin)."""
