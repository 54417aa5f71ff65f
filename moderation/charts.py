"""
Small charts as inline SVG, drawn on the server (like signals' precision-recall curve): no
script and no chart library, so they work under the strict CSP and without JavaScript.

Every piece of text goes through `format_html`, so a hostile category name or username is
shown, never interpreted. Each chart is an `<svg role="img">` labelled by its own <title> and
<desc>; the page puts the same figures in a table under it for screen readers and copying.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 36  # margins for the axes, the legend and the labels
LINE_HEIGHT = 240
BAR_LEFT = 180  # room for the category or username at the left of each bar
BAR_HEIGHT, GROUP_GAP = 14, 10
LABEL_CHARS = 26
PALETTE = ("#1f6feb", "#d1242f", "#8250df", "#1a7f37")

Number = int | float | None


@dataclass(frozen=True)
class Series:
    """One line or one set of bars: its name (legend) and a value per label (None: no data)."""

    name: str
    values: Sequence[Number]


def nice_max(value: float) -> float:
    """The axis' top: the value rounded up to 1, 2, 2.5 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _frame(
    *, chart_id: str, title: str, desc: str, width: int, height: int, body: str
) -> SafeString:
    return format_html(
        '<svg id="{id}" class="chart" role="img" aria-labelledby="{id}-title {id}-desc" '
        'width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        w=width,
        h=height,
        title=title,
        desc=desc,
        body=mark_safe(body),  # noqa: S308 - built from format_html pieces only
    )


def _legend(series: Sequence[Series], *, x: int) -> SafeString:
    return format_html_join(
        "",
        '<rect x="{}" y="8" width="10" height="10" fill="{}"/>'
        '<text x="{}" y="17" font-size="11">{}</text>',
        (
            (x + index * 150, PALETTE[index % len(PALETTE)], x + index * 150 + 14, s.name)
            for index, s in enumerate(series)
        ),
    )


def line_chart(
    *, chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> SafeString:
    """Values over an ordered axis (days): one polyline per series, a dot per point."""
    values = [float(v) for s in series for v in s.values if v is not None]
    top = nice_max(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, LINE_HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(index: int) -> float:
        return round(LEFT + index * step, 1)

    def y(value: float) -> float:
        return round(TOP + (1 - value / top) * plot_h, 1)

    parts: list[str] = [
        format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#c9d1d9"/>',
            LEFT,
            TOP,
            plot_w,
            plot_h,
        )
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
                LEFT - 6,
                y(top * fraction) + 4,
                _number(top * fraction),
            )
        )
    # At most about eight date labels, always the first and the last, none crowding the last.
    every = max(1, math.ceil(len(labels) / 8))
    last = len(labels) - 1
    for index, label in enumerate(labels):
        if index == last or (index % every == 0 and last - index >= every):
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                    x(index),
                    LINE_HEIGHT - BOTTOM + 16,
                    label,
                )
            )
    for number, s in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [
            (x(i), y(float(v)), labels[i], v) for i, v in enumerate(s.values) if v is not None
        ]
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
                " ".join(f"{px},{py}" for px, py, _, _ in points),
                colour,
            )
        )
        parts.extend(
            format_html(
                '<circle cx="{}" cy="{}" r="2.5" fill="{}"><title>{}: {} {}</title></circle>',
                px,
                py,
                colour,
                label,
                _number(float(v)),
                s.name,
            )
            for px, py, label, v in points
        )
    parts.append(_legend(series, x=LEFT))
    return _frame(
        chart_id=chart_id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=LINE_HEIGHT,
        body="".join(parts),
    )


def bar_chart(
    *, chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> SafeString:
    """Horizontal bars: a group per label (category, source, moderator), a bar per series."""
    values = [float(v) for s in series for v in s.values if v is not None]
    top = nice_max(max(values, default=0.0))
    group = len(series) * BAR_HEIGHT + GROUP_GAP
    height = TOP + max(len(labels), 1) * group + BOTTOM
    plot_w = WIDTH - BAR_LEFT - RIGHT - 40  # room for the value after the longest bar
    parts: list[str] = []
    for row, label in enumerate(labels):
        y0 = TOP + row * group
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{}<title>{}</title></text>',
                BAR_LEFT - 6,
                y0 + len(series) * BAR_HEIGHT / 2 + 4,
                _short(label),
                label,
            )
        )
        for number, s in enumerate(series):
            value = s.values[row]
            if value is None:
                continue
            width = round(float(value) / top * plot_w, 1)
            y_bar = y0 + number * BAR_HEIGHT
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>"
                    '<text x="{}" y="{}" font-size="10">{}</text>',
                    BAR_LEFT,
                    y_bar,
                    width,
                    BAR_HEIGHT - 2,
                    PALETTE[number % len(PALETTE)],
                    label,
                    _number(float(value)),
                    s.name,
                    round(BAR_LEFT + width + 4, 1),
                    y_bar + BAR_HEIGHT - 4,
                    _number(float(value)),
                )
            )
    parts.append(
        format_html(
            '<line x1="{x}" y1="{t}" x2="{x}" y2="{b}" stroke="#8b949e"/>',
            x=BAR_LEFT,
            t=TOP,
            b=height - BOTTOM,
        )
    )
    parts.append(_legend(series, x=BAR_LEFT))
    return _frame(
        chart_id=chart_id, title=title, desc=desc, width=WIDTH, height=height, body="".join(parts)
    )
