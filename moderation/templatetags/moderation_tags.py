from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# Characters that reorder the text around them (Unicode bidirectional algorithm, UAX #9):
# marks, embeddings, overrides and isolates. "evil\u202egnp.exe" displays as "evilexe.png".
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")


def _disarm(match: re.Match[str]) -> str:
    # Each control in an isolate of its own: its effect ends there, and the CSS shows it.
    return f'<bdi class="bidi-control" data-char="U+{ord(match[0]):04X}">{match[0]}</bdi>'


@register.filter(needs_autoescape=True)
def show_bidi_controls(value: Any, autoescape: bool = True) -> SafeString:
    """
    Escape text and make its direction controls inert and visible.

    For text inside an element that is already isolated (`dir="auto"` on a block). Safe
    strings (from `linebreaksbr`, say) are not escaped again.
    """
    text = conditional_escape(value) if autoescape else str(value)
    # Escaped above (unless the template turned autoescape off); the markup added is constant.
    return mark_safe(_BIDI_CONTROL.sub(_disarm, text))  # noqa: S308


@register.filter(needs_autoescape=True)
def isolate(value: Any, autoescape: bool = True) -> SafeString:
    """
    User-supplied text, isolated from the page around it: `<bdi>`, escaped.

    A right-to-left name cannot reorder the words after it, and no direction control inside
    the text (U+202E in "evil<U+202E>gnp.exe") can make it pass for "evilexe.png".
    """
    return format_html("<bdi>{}</bdi>", show_bidi_controls(value, autoescape))


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
