"""URLs of signals.classifier, included by signals.urls (names in the "signals" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from signals.classifier import views

urlpatterns: list[URLPattern] = [
    path("models/", views.model_list, name="models"),
    path("models/retrain/", views.models_retrain, name="models_retrain"),
    path("models/<int:version_id>/", views.model_detail, name="model"),
]
