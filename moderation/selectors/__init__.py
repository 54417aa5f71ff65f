"""Read use-cases of the moderation app."""
