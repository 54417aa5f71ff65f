"""Celery tasks of signals.governance (imported by signals.tasks so the worker registers them)."""
