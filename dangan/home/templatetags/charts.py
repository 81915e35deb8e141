"""Server-rendered SVG bar charts: no JavaScript, no CDN, readable on a phone (the SVG
scales to its container) and printable."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

ROW = 26  # px per bar
LABEL = 34  # % of the width for the labels


def _number(value: float) -> str:
    return f"{value:,.1f}" if value % 1 else f"{int(value):,}"


@register.simple_tag
def bar_chart(chart: Any) -> SafeString:
    """Horizontal bars, one per row, each labelled with its value."""
    rows = chart.rows[:30]
    if not rows:
        return format_html('<p class="muted">{}</p>', "—")
    top = max(value for _label, value in rows) or 1
    height = ROW * len(rows) + 4
    bars = format_html_join(
        "",
        '<g transform="translate(0,{})"><text x="{}%" y="17" text-anchor="end" class="l">{}</text>'
        '<rect x="{}%" y="4" width="{}%" height="18" rx="2"></rect>'
        '<text x="{}%" y="17" class="v">{}</text></g>',
        (
            (
                i * ROW,
                LABEL - 1,
                label[:18],
                LABEL,
                round((100 - LABEL - 12) * value / top, 2),
                round(LABEL + (100 - LABEL - 12) * value / top + 1, 2),
                _number(value) + (str(chart.unit) if str(chart.unit) == "%" else ""),
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" width="100%" height="{}" '
        'preserveAspectRatio="none">{}</svg>',
        chart.title,
        height,
        bars,
    )
