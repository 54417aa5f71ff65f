from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def _deadline_html(deadline: datetime, now: datetime) -> str:
    left = (deadline - now).total_seconds()
    if left < 0:
        css, text = "deadline overdue", _("overdue %(span)s") % {"span": _span(left)}
    elif left < 4 * 3600:
        css, text = "deadline due-soon", _("in %(span)s") % {"span": _span(left)}
    else:
        css, text = "deadline", _("in %(span)s") % {"span": _span(left)}
    stamp = escape(deadline.isoformat())
    return (
        f'<time class="{css}" datetime="{stamp}" data-deadline="{stamp}"'
        f' title="{deadline:%Y-%m-%d %H:%M} UTC">{escape(text)}</time>'
    )


@register.simple_tag
def countdown(deadline: datetime | None) -> str:
    """A deadline as time left (or overdue), with a class for colour; JS keeps it ticking."""
    if deadline is None:
        return "—"
    # Escaped in _deadline_html; the markup around is constant.
    return mark_safe(_deadline_html(deadline, timezone.now()))  # noqa: S308


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


# The queue's rows, written in Python: a page of 25 rows through the template engine (eleven
# cells, thirty variables, a loop and a tag per row) costs more than everything else the page
# renders. The markup is the one the row template had, byte for byte; everything in it is
# escaped here as the template's autoescape would, and translated once a page.
_QUEUE_ROW = (
    '\n      <tr data-href="{href}" data-claim-url="{claim}" tabindex="-1">'
    "\n        {select}"
    '\n        <td><span class="priority" title="{priority_title}">{priority}</span></td>'
    '\n        <td><a href="{href}">#{pk}</a></td>'
    '\n        <td><span class="badge sev-{severity}">{category}</span></td>'
    "\n        <td>{subject_type}{rolled_up}</td>"
    "\n        <td>{language}</td>"
    "\n        <td>{sources}</td>"
    '\n        <td>{reports}<span class="muted small"> / {reporters}</span></td>'
    "\n        <td>{deadline}</td>"
    "\n        <td>{status}{claimed_by}</td>"
    '\n        <td><button type="submit" class="button small" form="claim-form"'
    ' formaction="{claim}">{claim_label}</button></td>'
    "\n      </tr>\n    "
)


@functools.cache
def _choice_labels(field: str, language: str | None) -> dict[str, str]:
    """A case field's choice labels in `language`, escaped (the choices are the code's)."""
    from moderation.models import Case

    with translation.override(language):
        choices = Case._meta.get_field(field).flatchoices  # type: ignore[union-attr]
        return {str(value): conditional_escape(str(label)) for value, label in choices}


@register.simple_tag
def queue_rows(
    cases: list[Any], *, can_bulk: bool, case_url: dict[str, str], claim_url: dict[str, str]
) -> SafeString:
    """
    The queue table's rows for `cases` (see `queue_page`): links from the `id_url` parts,
    a selection box when the user can bulk-decide, and the case's claim button.
    """
    esc = conditional_escape
    # `{{ number }}` localizes; without thousands separators that is str(), much cheaper.
    number = localize if settings.USE_THOUSAND_SEPARATOR else str
    language = translation.get_language()
    statuses = _choice_labels("status", language)
    subject_types = _choice_labels("subject_type", language)
    sources = {key: esc(_(label)) for key, label in SOURCE_LABELS.items()}
    claim_label, select_label = esc(_("Claim")), esc(_("Select case"))
    priority_title = esc(_("Priority score"))
    rolled_up_title = esc(_("Message cases from this private group, rolled up into its case"))
    case_head, case_tail = esc(case_url["head"]), esc(case_url["tail"])
    claim_head, claim_tail = esc(claim_url["head"]), esc(claim_url["tail"])
    now = timezone.now()
    rows = []
    for case in cases:
        pk = number(case.pk)
        rolled_up = ""
        if n := case.rolled_up_count:
            counted = ngettext("%(n)s message case", "%(n)s message cases", n) % {"n": number(n)}
            rolled_up = f' <span class="badge" title="{rolled_up_title}">{counted}</span>'
        claimer = case.claimed_by
        deadline = case.deadline_at
        rows.append(
            _QUEUE_ROW.format(
                href=f"{case_head}{pk}{case_tail}",
                claim=f"{claim_head}{pk}{claim_tail}",
                select=(
                    f'<td><input type="checkbox" name="case" value="{pk}"'
                    f' aria-label="{select_label} {pk}"></td>'
                    if can_bulk
                    else ""
                ),
                priority_title=priority_title,
                priority=number(case.priority),
                pk=pk,
                severity=number(case.category.severity),
                category=esc(case.category.name),
                subject_type=subject_types.get(case.subject_type) or esc(case.subject_type),
                rolled_up=rolled_up,
                language=esc(case.language.upper()) or "—",
                sources="".join(
                    f'<span class="badge src-{source}">{sources[source]}</span>'
                    for source in case.sources
                ),
                reports=number(case.report_count),
                reporters=number(case.reporter_count),
                deadline="—" if deadline is None else _deadline_html(deadline, now),
                status=statuses.get(case.status) or esc(case.status),
                claimed_by=(
                    f' <span class="muted small">({esc(claimer.get_username())})</span>'
                    if claimer
                    else ""
                ),
                claim_label=claim_label,
            )
        )
    # Each piece is escaped above (numbers and the source keys need none); the markup around
    # them is constant.
    return mark_safe("".join(rows))  # noqa: S308
