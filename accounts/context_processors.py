"""The role-aware navigation shown in base.html, read from the registry (accounts.navigation)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accounts import navigation as nav_registry


def navigation(request: HttpRequest) -> dict[str, Any]:
    """
    `nav_items`: every entry the user may open, flat; `nav_bar`: the same entries as the top
    bar shows them, a group of two or more under one menu (accounts.navigation.GROUPS).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_bar": []}
    current = request.path
    allowed = [item for item in nav_registry.entries() if item.allowed(user)]
    items = [
        {
            "url": reverse(item.url_name),
            "label": item.label,
            "name": item.url_name,
            "active": False,
            "group": item.group,
        }
        for item in allowed
    ]
    # The longest matching prefix wins, so /moderation/appeals/ lights "Appeals" only.
    matches = [
        i
        for i in items
        if current == i["url"] or (i["url"] != "/" and current.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items, "nav_bar": _bar(items)}


def _bar(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Top-bar entries in order; a group sits where its first entry would."""
    sizes: dict[str, int] = {}
    for item in items:
        if item["group"]:
            sizes[item["group"]] = sizes.get(item["group"], 0) + 1
    bar: list[dict[str, Any]] = []
    menus: dict[str, dict[str, Any]] = {}
    for item in items:
        group = item["group"]
        if not group or sizes[group] < 2:
            bar.append({"menu": False, **item})
            continue
        if group not in menus:
            menus[group] = {
                "menu": True,
                "name": group,
                "label": nav_registry.GROUPS.get(group, group),
                "items": [],
                "active": False,
            }
            bar.append(menus[group])
        menus[group]["items"].append(item)
        menus[group]["active"] = menus[group]["active"] or item["active"]
    return bar
