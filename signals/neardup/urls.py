"""URLs of signals.neardup, included by signals.urls (names in the "signals" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from signals.neardup import views

urlpatterns: list[URLPattern] = [
    path("groups/", views.group_list, name="groups"),
    path("groups/<int:group_id>/", views.group_detail, name="group"),
]
