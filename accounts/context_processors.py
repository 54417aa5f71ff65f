"""The role-aware navigation shown in base.html, read from the registry (accounts.navigation)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accounts import navigation as nav_registry


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = [
        {"url": reverse(item.url_name), "label": item.label, "name": item.url_name, "active": False}
        for item in nav_registry.entries()
        if item.allowed(user)
    ]
    # The longest matching prefix wins, so /moderation/appeals/ lights "Appeals" only.
    matches = [
        i
        for i in items
        if current == i["url"] or (i["url"] != "/" and current.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items}
