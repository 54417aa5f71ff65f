"""URLs of signals.governance, included by signals.urls (names in the "signals" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from signals.governance import views

urlpatterns: list[URLPattern] = [
    path("detectors/", views.detectors, name="detectors"),
    path("detectors/mode/", views.detector_mode, name="detector_mode"),
    path("automation/", views.automation, name="automation"),
    path("automation/rule/", views.automation_rule, name="automation_rule"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:action_id>/", views.review, name="review"),
]
