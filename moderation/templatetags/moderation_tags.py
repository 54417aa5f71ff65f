from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

SOURCE_LABELS = {
    "user": "User notice",
    "trusted_flagger": "Trusted flagger",
    "authority": "Authority",
    "automated": "Automated",
}


def _span(seconds: float) -> str:
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


@register.simple_tag
def countdown(deadline: datetime | None) -> str:
    """A deadline as time left (or overdue), with a class for colour; JS keeps it ticking."""
    if deadline is None:
        return "—"
    left = (deadline - timezone.now()).total_seconds()
    if left < 0:
        css, text = "deadline overdue", _("overdue %(span)s") % {"span": _span(left)}
    elif left < 4 * 3600:
        css, text = "deadline due-soon", _("in %(span)s") % {"span": _span(left)}
    else:
        css, text = "deadline", _("in %(span)s") % {"span": _span(left)}
    return format_html(
        '<time class="{}" datetime="{}" data-deadline="{}" title="{}">{}</time>',
        css,
        deadline.isoformat(),
        deadline.isoformat(),
        f"{deadline:%Y-%m-%d %H:%M} UTC",
        text,
    )


@register.filter
def source_label(source: str) -> str:
    return _(SOURCE_LABELS.get(source, source))


@register.filter
def pretty_code(code: str) -> str:
    for prefix in ("STATEMENT_CATEGORY_", "KEYWORD_", "DECISION_VISIBILITY_", "DECISION_"):
        code = code.removeprefix(prefix)
    return code.replace("_", " ").capitalize()


@register.filter
def as_json(value: object) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
