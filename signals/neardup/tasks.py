"""Celery tasks of signals.neardup (imported by signals.tasks so the worker registers them)."""
