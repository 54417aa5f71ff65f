"""signals.classifier in the admin (imported by signals.admin)."""
