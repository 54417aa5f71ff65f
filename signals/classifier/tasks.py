"""Celery tasks of signals.classifier (imported by signals.tasks so the worker registers them)."""
