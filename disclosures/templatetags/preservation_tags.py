"""
The preservation hold's pieces of pages owned by other views: the "Place hold" form on the
review tab and the holds panel on the overview tab. Each is one `{% include %}` in those pages,
and reads what it needs itself (one query for the panel), so their views need not know holds.
"""

from __future__ import annotations

from typing import Any

from django import template

from disclosures.views.preservation import panel_context, place_context

register = template.Library()


@register.inclusion_tag("disclosures/preservation/_place_form.html", takes_context=True)
def hold_place_form(context: template.Context) -> dict[str, Any]:
    """The review tab's "Place hold" form, bound with its errors when a view passed one."""
    return place_context(
        context["legal_request"],
        form=context.get("hold_place_form"),
        missing=context.get("missing"),
    )


@register.inclusion_tag("disclosures/preservation/_holds_panel.html", takes_context=True)
def holds_panel(context: template.Context) -> dict[str, Any]:
    """The overview's holds panel; nothing for a request that is not a preservation order."""
    legal_request = context["legal_request"]
    if not legal_request.is_preservation:
        return {"panel": None}
    return panel_context(
        legal_request,
        user=context["request"].user,
        extend_form=context.get("hold_extend_form"),
        release_form=context.get("hold_release_form"),
    )
