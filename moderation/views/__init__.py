"""Browser interfaces of the moderation app, one module per screen family."""
