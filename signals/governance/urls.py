"""URLs of signals.governance, included by signals.urls (names in the "signals" namespace)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
