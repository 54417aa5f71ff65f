"""Write use-cases of the moderation app, by concern (see each module)."""
